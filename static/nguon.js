// The poster's source tag. A QR code on a poster opens a page with ?nguon=PLACE; the page's HTML
// never varies with it (pages may be cached by address, and nothing goes in a cookie), so this
// script carries the tag on: into the citizen form's hidden field, and onto the links marked
// data-nguon (a campaign's articles). The server keeps the tag only if it names a known place.
"use strict";

(function carrySourceTag() {
  if (!window.URLSearchParams || !window.URL) {
    return;
  }
  var tag = new URLSearchParams(window.location.search).get("nguon");
  // Only what a place's slug can look like; anything else is not worth carrying.
  if (!tag || tag.length > 100 || !/^[a-z0-9]+(-[a-z0-9]+)*$/.test(tag)) {
    return;
  }
  var fields = document.querySelectorAll('input[type="hidden"][name="nguon"]');
  Array.prototype.forEach.call(fields, function (field) {
    field.value = tag;
  });
  var links = document.querySelectorAll("a[data-nguon]");
  Array.prototype.forEach.call(links, function (link) {
    var url = new URL(link.getAttribute("href"), window.location.href);
    if (url.origin !== window.location.origin) {
      return;
    }
    url.searchParams.set("nguon", tag);
    link.setAttribute("href", url.pathname + url.search + url.hash);
  });
})();
