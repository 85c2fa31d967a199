// Loa's public script. Every page works without it; it only adds comfort. The content security
// policy allows scripts from our own origin only, so no inline handlers anywhere.
"use strict";

// A form sent back with mistakes: the focus goes to the first field marked invalid, so keyboard
// and screen-reader users land on it and hear its error (tied to it by aria-describedby).
(function focusFirstError() {
  var field = document.querySelector('form [aria-invalid="true"]');
  if (field) {
    field.focus();
  }
})();
