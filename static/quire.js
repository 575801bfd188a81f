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

  document.addEventListener("DOMContentLoaded", openTargetedQuestion);
  window.addEventListener("hashchange", openTargetedQuestion);
})();
