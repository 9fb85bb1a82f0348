// Note review: each sentence's evidence on click or keyboard (hover is CSS), and "Copy for EHR".
(function () {
  "use strict";

  function toggle(sentence, open) {
    const wrap = sentence.parentElement;
    const now = open === undefined ? !wrap.classList.contains("open") : open;
    wrap.classList.toggle("open", now);
    sentence.setAttribute("aria-expanded", now ? "true" : "false");
  }

  function closeAll(except) {
    document.querySelectorAll(".sent-wrap.open [data-sentence]").forEach(function (s) {
      if (s !== except) toggle(s, false);
    });
  }

  function setupEvidence() {
    document.querySelectorAll("[data-sentence]").forEach(function (sentence) {
      sentence.addEventListener("click", function () { closeAll(sentence); toggle(sentence); });
      sentence.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") { event.preventDefault(); closeAll(sentence); toggle(sentence); }
        if (event.key === "Escape") toggle(sentence, false);
      });
    });
    document.addEventListener("click", function (event) {
      if (!event.target.closest(".sent-wrap")) closeAll(null);
    });
  }

  function setupCopy() {
    const button = document.querySelector("[data-copy-url]");
    if (!button) return;
    const note = document.querySelector("[data-copy-status]");
    const fallback = document.querySelector("[data-copy-fallback]");
    button.addEventListener("click", async function () {
      note.textContent = "";
      const response = await fetch(button.dataset.copyUrl, { credentials: "same-origin" });
      if (!response.ok) { note.textContent = "The note text could not be loaded."; return; }
      const text = await response.text();
      try {
        await navigator.clipboard.writeText(text);
        note.textContent = "Copied. Paste it into the EHR.";
      } catch (error) {
        // Clipboard access refused (an old browser or a policy): let the clinician copy by hand.
        fallback.value = text;
        fallback.hidden = false;
        fallback.focus();
        fallback.select();
        note.textContent = "Press Ctrl+C (or Cmd+C) to copy the selected text.";
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    setupEvidence();
    setupCopy();
  });
})();
