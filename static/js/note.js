// Note review: each sentence's evidence on click or keyboard (hover is CSS), kept inside the window,
// and "Copy for EHR" for the whole note or one section.
(function () {
  "use strict";

  const EDGE = 8; // px kept free between a popover and the window's edge

  // The popover hangs from where its sentence starts; near the right edge (or on a phone) it
  // would run off the window, so it moves left by what sticks out, never past the left edge.
  function place(wrap) {
    const evidence = wrap.querySelector(".evidence");
    if (!evidence) return;
    evidence.style.left = "";
    const box = evidence.getBoundingClientRect();
    if (box.width === 0) return; // not shown
    const room = document.documentElement.clientWidth - EDGE;
    const shift = Math.min(Math.max(box.right - room, 0), Math.max(box.left - EDGE, 0));
    if (shift > 0) evidence.style.left = parseFloat(getComputedStyle(evidence).left) - shift + "px";
  }

  function toggle(sentence, open) {
    const wrap = sentence.parentElement;
    const now = open === undefined ? !wrap.classList.contains("open") : open;
    wrap.classList.toggle("open", now);
    sentence.setAttribute("aria-expanded", now ? "true" : "false");
    if (now) place(wrap);
  }

  function closeAll(except) {
    document.querySelectorAll(".sent-wrap.open [data-sentence]").forEach(function (s) {
      if (s !== except) toggle(s, false);
    });
  }

  function setupEvidence() {
    document.querySelectorAll(".sent-wrap").forEach(function (wrap) {
      wrap.addEventListener("mouseenter", function () { place(wrap); });
      wrap.addEventListener("focusin", function () { place(wrap); });
    });
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

  // Each copy button fetches its text (the whole note, or one section) and says what happened
  // beside itself; where the clipboard is refused, the text is selected for copying by hand.
  function setupCopy() {
    const fallback = document.querySelector("[data-copy-fallback]");
    document.querySelectorAll("[data-copy-url]").forEach(function (button) {
      const note = button.parentElement.querySelector("[data-copy-status]");
      button.addEventListener("click", async function () {
        document.querySelectorAll("[data-copy-status]").forEach(function (s) { s.textContent = ""; });
        fallback.hidden = true;
        const response = await fetch(button.dataset.copyUrl, { credentials: "same-origin" });
        if (!response.ok) { note.textContent = "The text could not be loaded."; return; }
        const text = await response.text();
        try {
          await navigator.clipboard.writeText(text);
          note.textContent = "Copied. Paste it into the EHR.";
        } catch (error) {
          // Clipboard access refused (an old browser or a policy): let the clinician copy by hand.
          button.parentElement.after(fallback);
          fallback.value = text;
          fallback.hidden = false;
          fallback.focus();
          fallback.select();
          note.textContent = "Press Ctrl+C (or Cmd+C) to copy the selected text.";
        }
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    setupEvidence();
    setupCopy();
  });
})();
