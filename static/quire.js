// Progressive enhancements. Every page works without this file.
(function () {
  "use strict";

  // Open the FAQ answer a link points at (/faq/page#question), on load and on hash change.
  function openTargetedQuestion() {
    var id = decodeURIComponent(window.location.hash.slice(1));
    if (!id) return;
    var target = document.getElementById(id);
    if (target && target.tagName === "DETAILS") {
      target.open = true;
      var summary = target.querySelector("summary");
      if (summary) summary.focus({ preventScroll: true });
    }
  }

  // As-you-type suggestions: the ARIA 1.2 combobox pattern on top of the plain search
  // form. Without JavaScript the form simply submits to /search.
  var DEBOUNCE_MS = 150;
  var MAX_SUGGESTIONS = 6;

  function enhanceSearch(input) {
    var form = input.form;
    if (!form) return;
    var listId = input.id + "-suggestions";
    var list = document.createElement("ul");
    list.id = listId;
    list.className = "suggestions";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "Suggested articles");
    list.hidden = true;
    var status = document.createElement("div");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    form.classList.add("has-suggestions");
    form.appendChild(list);
    form.appendChild(status);

    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listId);

    var results = [];
    var active = -1;
    var timer = null;
    var controller = null;
    var shownQuery = "";
    // The last answer, to reopen the list (Down, Alt+Down) without asking again.
    var last = null;

    function close() {
      list.hidden = true;
      list.textContent = "";
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      results = [];
      active = -1;
    }

    function optionCount() {
      return list.querySelectorAll("[role=option]").length;
    }

    function highlight(index) {
      var options = list.querySelectorAll("[role=option]");
      for (var i = 0; i < options.length; i++) {
        options[i].setAttribute("aria-selected", i === index ? "true" : "false");
      }
      active = index;
      if (index >= 0) {
        input.setAttribute("aria-activedescendant", options[index].id);
        options[index].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function go(index) {
      if (index === results.length) {
        // The last row: every result, on the results page.
        window.location.href = "/search?q=" + encodeURIComponent(shownQuery);
        return;
      }
      var result = results[index];
      if (!result) return;
      window.location.href = "/search/click?q=" + encodeURIComponent(shownQuery) +
        "&rank=" + (index + 1) + "&to=" + encodeURIComponent(result.url);
    }

    function option(id, index) {
      var item = document.createElement("li");
      item.id = id;
      item.setAttribute("role", "option");
      item.setAttribute("aria-selected", "false");
      // mousedown, not click: it fires before the input loses focus.
      item.addEventListener("mousedown", function (event) {
        event.preventDefault();
        go(index);
      });
      return item;
    }

    function render(data, query) {
      last = { data: data, query: query };
      list.textContent = "";
      results = data.results || [];
      shownQuery = query;
      results.forEach(function (result, i) {
        var item = option(listId + "-" + i, i);
        var title = document.createElement("span");
        title.className = "suggestion-title";
        title.textContent = result.title;
        var category = document.createElement("span");
        category.className = "suggestion-category";
        category.textContent = result.category;
        item.appendChild(title);
        item.appendChild(category);
        list.appendChild(item);
      });
      var all = option(listId + "-all", results.length);
      all.className = "suggestion-all";
      all.textContent = "See all results for \u201c" + query + "\u201d";
      list.appendChild(all);
      active = -1;
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      status.textContent = results.length
        ? results.length + (results.length === 1 ? " suggestion" : " suggestions") + ". Use the up and down arrow keys to choose one."
        : "No suggestions.";
    }

    function fetchSuggestions() {
      var query = input.value.trim();
      if (query.length < 2) {
        close();
        return;
      }
      if (controller) controller.abort();
      controller = new AbortController();
      // suggest=1: the list shows titles and categories only, so the server matches
      // titles, headings and summaries and cuts no snippets, which is much cheaper.
      fetch("/api/search?suggest=1&limit=" + MAX_SUGGESTIONS + "&q=" + encodeURIComponent(query), { signal: controller.signal })
        .then(function (response) { return response.ok ? response.json() : { results: [] }; })
        .then(function (data) {
          if (input.value.trim() === query) render(data, query);
        })
        .catch(function () { /* aborted or offline: the form still works */ });
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(fetchSuggestions, DEBOUNCE_MS);
    });
    input.addEventListener("keydown", function (event) {
      var count = optionCount();
      if (event.key === "ArrowDown" && list.hidden) {
        // Down or Alt+Down reopens a closed list.
        var query = input.value.trim();
        if (query.length < 2) return;
        event.preventDefault();
        if (last && last.query === query) render(last.data, query);
        else fetchSuggestions();
      } else if (event.key === "ArrowDown" && count) {
        event.preventDefault();
        if (!event.altKey) highlight((active + 1) % count);
      } else if (event.key === "ArrowUp" && count) {
        event.preventDefault();
        highlight(active <= 0 ? count - 1 : active - 1);
      } else if (event.key === "Enter" && active >= 0) {
        event.preventDefault();
        go(active);
      } else if (event.key === "Escape" && !list.hidden) {
        event.preventDefault();
        close();
      }
    });
    input.addEventListener("blur", function () { setTimeout(close, 100); });
  }

  // Feedback forms post in place: the server answers with the next step's HTML
  // (already escaped), which replaces the form. Without script they post normally.
  function enhanceFeedback() {
    document.addEventListener("submit", function (event) {
      var form = event.target;
      if (!form.hasAttribute || !form.hasAttribute("data-feedback-form") || !window.fetch) return;
      event.preventDefault();
      var data = new URLSearchParams(new FormData(form));
      var submitter = event.submitter;
      if (submitter && submitter.name) data.append(submitter.name, submitter.value);
      var section = form.closest("[data-feedback]") || form.parentNode;
      var body = section.querySelector(".feedback-body") || section;
      var buttons = form.querySelectorAll("button");
      for (var i = 0; i < buttons.length; i++) buttons[i].disabled = true;
      fetch(form.action, { method: "POST", body: data, headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) {
          return response.json().then(function (json) { return { ok: response.ok, json: json }; });
        })
        .then(function (result) {
          if (!result.ok || !result.json.html) throw new Error(result.json.error || "failed");
          body.innerHTML = result.json.html;
          var status = body.querySelector(".feedback-thanks");
          if (status) status.focus();
        })
        .catch(function (error) {
          for (var i = 0; i < buttons.length; i++) buttons[i].disabled = false;
          var note = section.querySelector(".feedback-error");
          if (!note) {
            note = document.createElement("p");
            note.className = "feedback-error";
            note.setAttribute("role", "alert");
            form.appendChild(note);
          }
          note.textContent = "Sorry, your answer could not be sent (" + error.message + "). Please try again.";
        });
    });
  }

  // Category filters on the results page are collapsed on a phone (results first)
  // and open beside the results on a wide screen.
  function openWideDetails() {
    if (!window.matchMedia || !window.matchMedia("(min-width: 52rem)").matches) return;
    var details = document.querySelectorAll("details[data-open-wide]");
    for (var i = 0; i < details.length; i++) details[i].open = true;
  }

  // A video placeholder becomes its player when the reader asks for it: the other
  // site is contacted only then. Without script the link opens the video there.
  function enhanceVideos() {
    document.addEventListener("click", function (event) {
      var link = event.target.closest && event.target.closest(".video-embed a");
      if (!link) return;
      var figure = link.parentNode;
      var player = figure.getAttribute("data-player");
      if (!player) return;
      event.preventDefault();
      var frame = document.createElement("iframe");
      frame.src = player + (player.indexOf("?") < 0 ? "?" : "&") + "autoplay=1";
      frame.title = link.textContent;
      frame.setAttribute("allow", "autoplay; encrypted-media; picture-in-picture; fullscreen");
      frame.setAttribute("allowfullscreen", "");
      figure.textContent = "";
      figure.appendChild(frame);
      frame.focus();
    });
  }

  // A printed FAQ shows every answer.
  window.addEventListener("beforeprint", function () {
    var items = document.querySelectorAll("details.faq-item");
    for (var i = 0; i < items.length; i++) items[i].open = true;
  });

  document.addEventListener("DOMContentLoaded", function () {
    enhanceFeedback();
    enhanceVideos();
    openTargetedQuestion();
    openWideDetails();
    var inputs = document.querySelectorAll("form[role=search] input[type=search][name=q]");
    for (var i = 0; i < inputs.length; i++) enhanceSearch(inputs[i]);
  });
  window.addEventListener("hashchange", openTargetedQuestion);
})();
