// Behaviour of every page, kept out of the HTML so that the Content-Security-Policy can refuse
// inline script: a form that asks for confirmation first (data-confirm="question"). The language
// switch has its own button: choosing an option changes nothing until it is submitted.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });
})();
