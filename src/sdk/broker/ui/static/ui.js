/* The dashboard's behaviour: live updates, and the actions of the job and instance pages.
 *
 * Live: the overview and the job page follow the broker's job event stream (Server-Sent
 * Events); while the stream is absent or down they poll the JSON summary instead. Either way
 * a change makes the page fetch itself again and swap in its [data-live] regions, so there is
 * one renderer (the server's escaping templates). Broker data only ever reaches the DOM as
 * nodes of such a page or as textContent, never through innerHTML.
 */
(function () {
  "use strict";

  var MIN_REFRESH_MS = 1000; // at most one refresh a second, however busy the broker
  var POLL_MS = 3000;
  var RECONNECT_MIN_MS = 2000;
  var RECONNECT_MAX_MS = 60000;
  var TIME = { hour: "2-digit", minute: "2-digit", second: "2-digit" };
  var FOCUSABLE = "a[href], button, input, select, textarea, summary, [tabindex]";

  var body = document.body;
  var jobKey = body.dataset.jobKey || "";
  var instanceKey = body.dataset.instanceKey || "";

  // -- times in the reader's time zone ------------------------------------------------------

  function localiseTimes(root) {
    root.querySelectorAll("time[datetime]:not([data-local])").forEach(function (el) {
      var when = new Date(el.getAttribute("datetime"));
      if (isNaN(when.getTime())) return;
      var today = when.toDateString() === new Date().toDateString();
      el.title = el.textContent; // the UTC text stays available as a tooltip
      el.textContent = today ? when.toLocaleTimeString(undefined, TIME)
        : when.toLocaleString(undefined, Object.assign({ month: "short", day: "numeric" }, TIME));
      el.setAttribute("data-local", "");
    });
  }

  // -- the live status indicator ------------------------------------------------------------

  var MODES = { live: "Live", polling: "Live (polling)", offline: "Offline, retrying" };

  function setMode(mode) {
    var el = document.getElementById("live-status");
    if (!el || el.dataset.mode === mode) return;
    el.dataset.mode = mode;
    el.textContent = MODES[mode];
    el.hidden = false;
  }

  // -- refreshing the live regions ----------------------------------------------------------

  function focusIndex(region) {
    var active = document.activeElement;
    if (!active || !region.contains(active)) return -1;
    return Array.prototype.indexOf.call(region.querySelectorAll(FOCUSABLE), active);
  }

  function openDetails(region) {
    var open = [];
    region.querySelectorAll("details").forEach(function (el, i) { if (el.open) open.push(i); });
    return open;
  }

  function swap(old, fresh) {
    var focused = focusIndex(old);
    var open = openDetails(old);
    var node = document.adoptNode(fresh);
    old.replaceWith(node);
    localiseTimes(node);
    var details = node.querySelectorAll("details");
    open.forEach(function (i) { if (details[i]) details[i].open = true; });
    if (focused >= 0) {
      var target = node.querySelectorAll(FOCUSABLE)[focused];
      if (target) target.focus({ preventScroll: true });
    }
  }

  function applyJobState() {
    var summary = document.getElementById("job-summary");
    if (!summary) return;
    var state = summary.dataset.state;
    document.querySelectorAll(".actions [data-when]").forEach(function (el) {
      el.hidden = el.dataset.when.split(" ").indexOf(state) < 0;
    });
  }

  function refresh() {
    return fetch(location.href, {
      headers: { Accept: "text/html" }, cache: "no-store", credentials: "same-origin",
    }).then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.text();
    }).then(function (html) {
      var fresh = new DOMParser().parseFromString(html, "text/html");
      document.querySelectorAll("[data-live]").forEach(function (old) {
        var replacement = old.id && fresh.getElementById(old.id);
        if (replacement) swap(old, replacement);
      });
      applyJobState();
    });
  }

  var timer = 0;
  var inFlight = false;
  var again = false;
  var lastRefresh = 0;

  function requestRefresh() {
    if (inFlight) { again = true; return; }
    if (timer) return;
    timer = setTimeout(runRefresh, Math.max(0, lastRefresh + MIN_REFRESH_MS - Date.now()));
  }

  function runRefresh() {
    timer = 0;
    inFlight = true;
    lastRefresh = Date.now();
    refresh().catch(function () {
      // keep the page as it is; the next event or poll tries again
    }).then(function () {
      inFlight = false;
      if (again) { again = false; requestRefresh(); }
    });
  }

  function shownEventId() {
    var el = document.querySelector("[data-last-event]");
    return el ? el.dataset.lastEvent : "";
  }

  // -- following the broker: the event stream, else polling ---------------------------------

  var pollTimer = 0;
  var reconnectMs = RECONNECT_MIN_MS;
  var streamWasDown = false;

  function poll() {
    if (document.hidden) return;
    fetch(body.dataset.summary, {
      headers: { Accept: "application/json" }, cache: "no-store", credentials: "same-origin",
    }).then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    }).then(function (summary) {
      setMode("polling");
      if (String(summary.lastEventId) !== shownEventId()) requestRefresh();
    }).catch(function () {
      setMode("offline");
    });
  }

  function startPolling() {
    if (pollTimer) return;
    pollTimer = setInterval(poll, POLL_MS);
    poll();
  }

  function stopPolling() {
    clearInterval(pollTimer);
    pollTimer = 0;
  }

  function onStreamEvent(message) {
    if (jobKey) {
      try {
        var event = JSON.parse(message.data);
        if (event && event.jobKey && String(event.jobKey) !== jobKey) return;
      } catch (e) {
        // not JSON: refresh to be safe
      }
    }
    requestRefresh();
  }

  function connect() {
    var url = body.dataset.stream;
    if (!url || !window.EventSource) {
      setMode("polling");
      startPolling();
      return;
    }
    // Resume right after what the page shows; the job page only needs its job's type.
    var streamUrl = new URL(url, location.href);
    streamUrl.searchParams.set("after", shownEventId() || "0");
    if (body.dataset.jobType) streamUrl.searchParams.set("type", body.dataset.jobType);
    var source = new EventSource(streamUrl.href, { withCredentials: true });
    source.onopen = function () {
      reconnectMs = RECONNECT_MIN_MS;
      stopPolling();
      setMode("live");
      if (streamWasDown) { streamWasDown = false; requestRefresh(); } // catch up
    };
    source.onmessage = onStreamEvent;
    source.addEventListener("job", onStreamEvent);
    source.onerror = function () {
      streamWasDown = true;
      setMode("polling");
      startPolling();
      if (source.readyState === EventSource.CLOSED) { // the browser gave up: retry later
        source.close();
        setTimeout(connect, reconnectMs);
        reconnectMs = Math.min(reconnectMs * 2, RECONNECT_MAX_MS);
      }
    };
  }

  // -- the actions: calls to the documented API routes, one or several in a row -------------

  function wholeNumber(form, name) {
    return parseInt(form.elements[name].value, 10);
  }

  var ACTIONS = {
    retry: function (form) {
      var retries = wholeNumber(form, "retries");
      return {
        method: "PATCH", path: "/jobs/" + jobKey, body: { changeset: { retries: retries } },
        done: "Retries set to " + retries + ": the job is activatable again.",
      };
    },
    retries: function (form) {
      var retries = wholeNumber(form, "retries");
      return {
        method: "PATCH", path: "/jobs/" + jobKey, body: { changeset: { retries: retries } },
        done: "Retries set to " + retries + ".",
      };
    },
    timeout: function (form) {
      var seconds = wholeNumber(form, "seconds");
      return {
        method: "PATCH", path: "/jobs/" + jobKey, body: { changeset: { timeout: seconds * 1000 } },
        done: "Timeout changed: the deadline is now " + seconds + " s from now.",
      };
    },
    cancel: function () {
      return {
        method: "POST", path: "/ext/jobs/" + jobKey + "/cancellation", body: {},
        confirm: "Cancel job " + jobKey + "? No worker will get it again; this cannot be undone.",
        done: "Job canceled.",
      };
    },
    // An incident: a job out of retries gets retries first, then the incident is resolved.
    resolve: function (form) {
      var incident = form.dataset.incidentKey;
      var resolution = { method: "POST", path: "/incidents/" + incident + "/resolution", body: {} };
      if (!form.dataset.jobKey) {
        return { steps: [resolution], done: "Incident " + incident + " resolved." };
      }
      var retries = wholeNumber(form, "retries");
      return {
        steps: [
          {
            method: "PATCH", path: "/jobs/" + form.dataset.jobKey,
            body: { changeset: { retries: retries } },
          },
          resolution,
        ],
        done: "Incident " + incident + " resolved: the job has " + retries + " retries again.",
      };
    },
    // The jobs page: one bulk call; its answer's counts are shown.
    "bulk-retry": function (form) {
      var retries = wholeNumber(form, "retries");
      var type = form.dataset.type;
      return bulk(
        { filter: { type: type, state: "INCIDENT" }, action: "retry", retries: retries },
        "Give every incident of type " + type + " " + retries + " retries again?"
      );
    },
    "bulk-cancel": function () {
      var keys = [];
      document.querySelectorAll("input[name=selected][form=bulk-cancel]:checked")
        .forEach(function (box) { keys.push(box.value); });
      if (!keys.length) return { none: "Tick the jobs to cancel first." };
      return bulk(
        { filter: { keys: keys }, action: "cancel" },
        "Cancel " + keys.length + " job(s)? No worker will get them again; this cannot be undone."
      );
    },
    "cancel-instance": function () {
      return {
        method: "POST", path: "/process-instances/" + instanceKey + "/cancellation", body: {},
        confirm: "Cancel process instance " + instanceKey + "? Its active elements are"
          + " terminated; this cannot be undone.",
        done: "Process instance canceled.",
      };
    },
  };

  function bulk(requestBody, question) {
    var call = { method: "POST", path: "/ext/jobs/bulk", body: requestBody, confirm: question };
    call.read = function (counts) {
      var skipped = Object.keys(counts.skipped).map(function (reason) {
        return reason + " " + counts.skipped[reason];
      });
      call.done = "Matched " + counts.matched + ", changed " + counts.changed
        + (skipped.length ? "; skipped: " + skipped.join(", ") : "") + ".";
    };
    return call;
  }

  function showResult(text, ok) {
    var el = document.getElementById("action-result");
    el.textContent = text;
    el.className = "result " + (ok ? "ok" : "error");
  }

  function problemText(response) {
    return response.json().then(function (problem) {
      return problem.title + ": " + problem.detail;
    }, function () {
      return "HTTP " + response.status;
    });
  }

  function onSubmit(event) {
    var form = event.target.closest("form[data-action]");
    if (!form) return;
    event.preventDefault();
    var call = ACTIONS[form.dataset.action](form);
    if (call.none) { showResult(call.none, false); return; }
    if (call.confirm && !window.confirm(call.confirm)) return;
    var steps = call.steps || [call];
    var buttons = form.querySelectorAll("button");
    buttons.forEach(function (b) { b.disabled = true; });
    runSteps(steps).then(function (refused) {
      if (refused === null) showResult(call.done, true);
      else showResult("Refused. " + refused, false);
    }, function (error) {
      showResult("The broker did not answer (" + error.message + ").", false);
    }).then(function () {
      return refresh().catch(function () {});
    }).then(function () {
      buttons.forEach(function (b) { b.disabled = false; });
      if (form.hidden || !document.contains(form)) document.getElementById("action-result").focus();
    });
  }

  // Each step in turn, stopping at the first refusal: null when all passed, else its text.
  function runSteps(steps) {
    return steps.reduce(function (previous, step) {
      return previous.then(function (refused) {
        if (refused !== null) return refused;
        return fetch(body.dataset.api + step.path, {
          method: step.method,
          headers: { "Content-Type": "application/json", Accept: "application/json" },
          body: JSON.stringify(step.body),
          credentials: "same-origin",
        }).then(function (response) {
          if (response.ok && step.read) return response.json().then(step.read).then(function () {
            return null;
          });
          return response.ok ? null : problemText(response);
        });
      });
    }, Promise.resolve(null));
  }

  // -- start ----------------------------------------------------------------------------------

  localiseTimes(document);
  document.addEventListener("submit", onSubmit);
  if (body.dataset.page === "overview" || body.dataset.page === "job") {
    connect();
    document.addEventListener("visibilitychange", function () {
      if (!document.hidden && pollTimer) poll();
    });
  }
})();
