/* Ask before buttons marked data-confirm; submit forms with a data-once button only once. */
"use strict";
document.addEventListener("click", function (event) {
  const button = event.target.closest("[data-confirm]");
  if (button && !window.confirm(button.dataset.confirm)) event.preventDefault();
});
document.addEventListener("submit", function (event) {
  const form = event.target;
  if (!form.querySelector("[data-once]")) return;
  if (form.dataset.submitted) event.preventDefault();
  form.dataset.submitted = "1";
});
