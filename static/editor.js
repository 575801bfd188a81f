// The page editor's enhancements: formatting toolbar, shortcuts, a preview that follows
// the text as it is typed, and pasted or chosen images uploaded at once. Without this
// file the editor is a plain form with Preview and Upload buttons.
(function () {
  "use strict";

  var PREVIEW_DELAY_MS = 400;

  function init() {
    var form = document.getElementById("editor-form");
    var body = document.getElementById("ed-body");
    if (!form || !body) return;
    var preview = document.getElementById("editor-preview");
    var findings = document.getElementById("editor-findings");
    var noFindings = document.getElementById("editor-findings-none");
    var status = document.getElementById("editor-status");
    var toolbar = form.querySelector(".editor-toolbar");
    var imageInput = document.getElementById("ed-image");
    var bodyFirstLine = parseInt(form.getAttribute("data-body-first-line"), 10) || 1;

    function say(message) {
      status.textContent = "";
      var p = document.createElement("p");
      p.className = "notice";
      p.textContent = message;
      status.appendChild(p);
    }

    // --- Formatting -------------------------------------------------------------
    function wrap(before, after, placeholder) {
      var start = body.selectionStart;
      var end = body.selectionEnd;
      var selected = body.value.slice(start, end) || placeholder;
      body.setRangeText(before + selected + after, start, end, "end");
      if (start === end) {
        body.setSelectionRange(start + before.length, start + before.length + selected.length);
      }
      body.focus();
      changed();
    }

    function prefixLines(prefix, numbered) {
      var start = body.value.lastIndexOf("\n", body.selectionStart - 1) + 1;
      var end = body.selectionEnd;
      var lines = body.value.slice(start, end).split("\n");
      var text = lines
        .map(function (line, i) {
          return (numbered ? i + 1 + ". " : prefix) + line;
        })
        .join("\n");
      body.setRangeText(text, start, end, "end");
      body.focus();
      changed();
    }

    function insertBlock(text) {
      var at = body.selectionStart;
      var before = body.value.slice(0, at);
      var gap = before === "" || /\n\n$/.test(before) ? "" : /\n$/.test(before) ? "\n" : "\n\n";
      body.setRangeText(gap + text + "\n", at, body.selectionEnd, "end");
      body.focus();
      changed();
    }

    var marks = {
      heading: function () { prefixLines("## ", false); },
      bold: function () { wrap("**", "**", "bold text"); },
      italic: function () { wrap("_", "_", "text"); },
      list: function () { prefixLines("- ", false); },
      numbered: function () { prefixLines("", true); },
      link: function () {
        var url = window.prompt("Link to (another article's file, e.g. billing/refunds.md, or a web address):", "");
        if (url) wrap("[", "](" + url + ")", "link text");
      },
      code: function () {
        if (body.value.slice(body.selectionStart, body.selectionEnd).indexOf("\n") >= 0) wrap("```\n", "\n```", "");
        else wrap("`", "`", "code");
      },
      note: function () { insertBlock("> [!NOTE]\n> " + (body.value.slice(body.selectionStart, body.selectionEnd) || "Something the reader should know.")); },
      snippet: function () {
        var name = window.prompt("Snippet name (a file in _snippets/):", "");
        if (name) insertBlock("{% snippet " + name.replace(/[^A-Za-z0-9_\/.-]/g, "") + " %}");
      },
      image: function () { if (imageInput) imageInput.click(); }
    };

    if (toolbar) {
      toolbar.hidden = false;
      toolbar.addEventListener("click", function (event) {
        var button = event.target.closest("button[data-mark]");
        if (button && marks[button.getAttribute("data-mark")]) marks[button.getAttribute("data-mark")]();
      });
    }

    body.addEventListener("keydown", function (event) {
      if (!(event.ctrlKey || event.metaKey)) return;
      var key = event.key.toLowerCase();
      var action = null;
      if (key === "b") action = marks.bold;
      else if (key === "i") action = marks.italic;
      else if (key === "k") action = marks.link;
      else if (event.altKey && key === "2") action = marks.heading;
      if (action) {
        event.preventDefault();
        action();
      }
    });
    form.addEventListener("keydown", function (event) {
      if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "s") {
        event.preventDefault();
        var save = form.querySelector("[data-shortcut-save]");
        if (save) form.requestSubmit(save);
      }
    });

    // --- Live preview -----------------------------------------------------------
    var timer = null;
    var sequence = 0;

    function fields() {
      var data = new FormData(form);
      data.delete("image");
      return data;
    }

    function showFindings(list) {
      findings.textContent = "";
      list.forEach(function (finding) {
        var item = document.createElement("li");
        item.className = "finding finding-" + finding.severity;
        var kind = document.createElement("span");
        kind.className = "finding-kind";
        kind.textContent = finding.severity;
        item.appendChild(kind);
        item.appendChild(document.createTextNode((finding.line ? " line " + finding.line : "") + ": " + finding.message));
        if (finding.line) addGoTo(item, parseInt(finding.line, 10));
        findings.appendChild(item);
      });
      noFindings.hidden = list.length > 0;
    }

    // A finding's file line, in the text area (which holds the body only).
    function addGoTo(item, fileLine) {
      var line = fileLine - bodyFirstLine + 1;
      if (!(line >= 1)) return;
      var button = document.createElement("button");
      button.type = "button";
      button.className = "finding-go";
      button.textContent = "Go to line " + fileLine;
      button.addEventListener("click", function () {
        var lines = body.value.split("\n");
        var offset = lines.slice(0, line - 1).join("\n").length + (line > 1 ? 1 : 0);
        body.focus();
        body.setSelectionRange(offset, offset + (lines[line - 1] || "").length);
      });
      item.appendChild(document.createTextNode(" "));
      item.appendChild(button);
    }

    Array.prototype.forEach.call(findings.querySelectorAll("li[data-line]"), function (item) {
      var line = parseInt(item.getAttribute("data-line"), 10);
      if (line) addGoTo(item, line);
    });

    function refresh() {
      var mine = ++sequence;
      fetch("/staff/edit/preview", { method: "POST", body: fields(), credentials: "same-origin" })
        .then(function (response) { return response.json(); })
        .then(function (answer) {
          if (mine !== sequence) return;
          if (answer.error) {
            showFindings([{ severity: "error", line: "", message: answer.error }]);
            return;
          }
          preview.innerHTML = answer.html; // sanitized by the server, like the published page
          bodyFirstLine = answer.body_first_line || bodyFirstLine;
          showFindings(answer.findings || []);
          preview.setAttribute("data-updated", String(mine));
        })
        .catch(function () { /* the Preview button still works */ });
    }

    function changed() {
      window.clearTimeout(timer);
      timer = window.setTimeout(refresh, PREVIEW_DELAY_MS);
    }

    form.addEventListener("input", function (event) {
      if (event.target !== imageInput) changed();
    });

    // --- Images -----------------------------------------------------------------
    function upload(file) {
      var data = fields();
      data.append("image", file, file.name || "pasted-image.png");
      say("Uploading " + (file.name || "the image") + "…");
      fetch("/staff/edit/image", { method: "POST", body: data, credentials: "same-origin" })
        .then(function (response) { return response.json(); })
        .then(function (answer) {
          if (answer.error) {
            say("The image was not added: " + answer.error);
            return;
          }
          insertBlock(answer.markdown);
          say("Image added: " + answer.markdown);
        })
        .catch(function () { say("The image could not be uploaded; try the Upload image button."); });
    }

    if (imageInput) {
      imageInput.addEventListener("change", function () {
        if (imageInput.files && imageInput.files[0]) upload(imageInput.files[0]);
        imageInput.value = "";
      });
    }
    body.addEventListener("paste", function (event) {
      var files = event.clipboardData && event.clipboardData.files;
      if (files && files.length && /^image\//.test(files[0].type)) {
        event.preventDefault();
        upload(files[0]);
      }
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
