// Loa's admin scripts. Everything works without them; they only add comfort. The content
// security policy allows scripts from our own origin only, so no inline handlers anywhere.
"use strict";

// Live preview of the article editor: a short while after typing stops, the Markdown body is
// sent to the server, which renders it with the publishing pipeline and returns sanitised HTML.
(function livePreview() {
  var body = document.querySelector("textarea[data-preview-url]");
  if (!body) {
    return;
  }
  var panel = document.getElementById(body.getAttribute("data-preview-target"));
  var meta = document.querySelector('meta[name="csrf-token"]');
  if (!panel || !meta || !window.fetch) {
    return;
  }
  var output = panel.querySelector(".prose");
  var url = body.getAttribute("data-preview-url");
  var token = meta.getAttribute("content");
  var timer = null;
  var sent = 0;

  function refresh() {
    var ticket = ++sent;
    fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/x-www-form-urlencoded;charset=UTF-8",
        "x-csrf-token": token
      },
      body: new URLSearchParams({ body: body.value }).toString()
    })
      .then(function (response) {
        // 422: the body is past a limit, and the answer is the reason, as plain text.
        if (!response.ok && response.status !== 422) {
          throw new Error("HTTP " + response.status);
        }
        return response.text().then(function (text) {
          return { html: response.ok, text: text };
        });
      })
      .then(function (answer) {
        // An older answer arriving late must not replace a newer one.
        if (ticket === sent) {
          if (answer.html) {
            // Sanitised by the server's allow-list (ammonia); the CSP is the second wall.
            output.innerHTML = answer.text;
          } else {
            output.textContent = answer.text;
          }
          panel.hidden = false;
        }
      })
      .catch(function () {
        if (ticket === sent) {
          output.textContent = "Không tải được bản xem trước. Bạn vẫn có thể bấm «Xem trước».";
          panel.hidden = false;
        }
      });
  }

  body.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(refresh, 600);
  });
  if (body.value.trim() !== "") {
    refresh();
  }
})();

// Media library: a "copy" button beside each read-only Markdown field. Without the script the
// field is still there to select and copy by hand; focusing it selects all of it.
(function copyMarkdown() {
  var fields = document.querySelectorAll("input[data-copy]");
  Array.prototype.forEach.call(fields, function (field) {
    field.addEventListener("focus", function () {
      field.select();
    });
    if (!navigator.clipboard) {
      return;
    }
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button button-secondary copy-button";
    button.textContent = "Sao chép";
    var status = document.createElement("span");
    status.className = "copy-status";
    status.setAttribute("role", "status");
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(field.value).then(
        function () {
          status.textContent = "Đã sao chép.";
        },
        function () {
          field.select();
          status.textContent = "Không sao chép được; hãy nhấn Ctrl+C.";
        }
      );
    });
    field.insertAdjacentElement("afterend", status);
    field.insertAdjacentElement("afterend", button);
  });
})();

// The printable report's "In báo cáo" button: shown only when scripts run (otherwise the page
// says to use the browser's own print command).
(function printButton() {
  var button = document.querySelector("button[data-print]");
  if (!button || !window.print) {
    return;
  }
  button.hidden = false;
  button.addEventListener("click", function () {
    window.print();
  });
})();
