// fleetq dashboard: the live refresh (docs/dashboard.md#refreshing).
//
// A page is rendered with the database's state stamp on <body
// data-stamp="PASS.LEDGER.AUDIT">. This script listens on /events
// (server-sent events) and, when the stamp the server sends differs
// from the page's, says why and reloads the page at its own address,
// which holds every filter and the query's ?expr=. When the visitor has
// typed into a form of the page and not sent it, it does not reload:
// it says what changed and offers a link instead, so nothing typed is
// lost. Without JavaScript (or without data-stamp) the pages are static.
(function () {
  "use strict";
  var mine = document.body && document.body.getAttribute("data-stamp");
  if (!mine || !window.EventSource) {
    return;
  }

  // edited says whether a field of a form holds something not sent.
  function edited() {
    var fields = document.querySelectorAll("input, textarea, select");
    for (var i = 0; i < fields.length; i++) {
      var f = fields[i];
      if (f.type === "hidden" || f.type === "submit") {
        continue;
      }
      if (f.tagName === "SELECT") {
        if (f.selectedIndex !== defaultIndex(f)) {
          return true;
        }
      } else if (f.type === "checkbox" || f.type === "radio") {
        if (f.checked !== f.defaultChecked) {
          return true;
        }
      } else if (f.value !== f.defaultValue) {
        return true;
      }
    }
    return false;
  }

  // defaultIndex is the option a select shows as the page was loaded:
  // the one marked selected, else the first.
  function defaultIndex(sel) {
    for (var i = 0; i < sel.options.length; i++) {
      if (sel.options[i].defaultSelected) {
        return i;
      }
    }
    return sel.options.length > 0 ? 0 : -1;
  }

  function notice(text, link) {
    var n = document.getElementById("refresh-notice");
    if (!n) {
      n = document.createElement("div");
      n.id = "refresh-notice";
      n.className = "banner refresh";
      n.setAttribute("role", "status");
      var main = document.querySelector("main") || document.body;
      main.insertBefore(n, main.firstChild);
    }
    n.textContent = text;
    if (link) {
      var a = document.createElement("a");
      a.href = window.location.href;
      a.textContent = "reload";
      n.appendChild(document.createTextNode(" "));
      n.appendChild(a);
    }
  }

  var oldPass = mine.split(".")[0];
  var es = new EventSource("/events");
  es.addEventListener("stamp", function (e) {
    var s;
    try {
      s = JSON.parse(e.data);
    } catch (err) {
      return;
    }
    if (!s || s.stamp === mine) {
      return;
    }
    var what = String(s.pass) !== oldPass ? "new pass " + s.pass : "the leases or the audit log changed";
    if (edited()) {
      notice(what + " — your form is not sent, so the page is kept:", true);
      mine = s.stamp; // say it once per change
      return;
    }
    es.close();
    notice(what + " — reloading", false);
    window.location.reload();
  });
})();
