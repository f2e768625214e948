// The hosted verification page: opens the link, uploads each file straight to storage
// (the presigned URL the server hands out), shows progress, polls the result. Plain
// ES2017, no build step, no third-party request; the strings come with the page.
(function () {
  'use strict';
  var app = document.getElementById('app');
  var base = app.getAttribute('data-base');
  var T = JSON.parse(document.getElementById('strings').textContent);
  var statusLine = document.getElementById('status');
  var TYPES = ['image/jpeg', 'image/png', 'application/pdf'];
  var SELFIE_TYPES = ['image/jpeg', 'image/png'];
  var MAX_BYTES = 10 * 1024 * 1024;
  var POLL_MS = 700;
  var POLL_LIMIT = 120;
  var busy = 0;

  function t(key) { return T[key] || key; }

  function call(method, path, body) {
    var init = { method: method, cache: 'no-store', headers: {} };
    if (body) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    return fetch(base + path, init).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (json) {
        if (!r.ok) {
          var e = new Error(json.code || 'http_' + r.status);
          e.status = r.status;
          throw e;
        }
        return json;
      });
    }, function () { throw new Error('network'); });
  }

  function put(upload, file, onProgress) {
    return new Promise(function (resolve, reject) {
      var x = new XMLHttpRequest();
      x.open(upload.method, upload.url);
      Object.keys(upload.headers || {}).forEach(function (h) { x.setRequestHeader(h, upload.headers[h]); });
      x.upload.onprogress = function (e) { if (e.lengthComputable) onProgress(e.loaded / e.total); };
      x.onload = function () { (x.status >= 200 && x.status < 300) ? resolve() : reject(new Error('upload')); };
      x.onerror = function () { reject(new Error('network')); };
      x.send(file);
    });
  }

  function message(e) {
    if (e.status === 410) return t('err_expired');
    if (e.message === 'network') return t('err_network');
    if (e.message === 'upload') return t('err_upload');
    if (e.message === 'unsupported_media_type') return t('err_type');
    return t('err_generic');
  }

  function stepOf(step) {
    var kinds = step.getAttribute('data-kinds').split(',');
    var director = step.getAttribute('data-director');
    return { el: step, kinds: kinds, director: director === '' ? null : Number(director) };
  }

  function latest(state, s) {
    var found = null;
    state.documents.forEach(function (d) {
      var director = d.director_index === undefined ? null : d.director_index;
      if (s.kinds.indexOf(d.kind) >= 0 && director === s.director) found = d;
    });
    return found;
  }

  function show(s, stateName, text) {
    s.el.setAttribute('data-state', stateName);
    s.el.querySelector('.result').textContent = text;
  }

  function describe(doc) {
    if (doc.status === 'verified') return ['verified', t('doc_verified')];
    if (doc.status === 'rejected') {
      var why = doc.failed_checks.map(function (c) { return T['check_' + c]; }).filter(Boolean);
      return ['rejected', [t('doc_rejected')].concat(why).join(' ')];
    }
    return ['checking', t('doc_checking')];
  }

  function render(state) {
    Array.prototype.forEach.call(document.querySelectorAll('.step'), function (el) {
      var s = stepOf(el);
      if (el.getAttribute('data-busy') === '1') return;
      var doc = latest(state, s);
      if (doc) show(s, describe(doc)[0], describe(doc)[1]);
    });
    statusLine.textContent = t('status_' + state.status);
    var done = document.getElementById('done');
    if (state.complete && busy === 0 && done.hidden) {
      document.getElementById('final').textContent = t('status_' + state.status);
      var next = document.getElementById('continue');
      if (state.redirect_url) { next.href = state.redirect_url; next.hidden = false; }
      done.hidden = false;
      done.querySelector('h2').focus();
    }
  }

  function poll(docId, tries) {
    return call('GET', '/session').then(function (state) {
      var doc = state.documents.filter(function (d) { return d.id === docId; })[0];
      if (doc && doc.status !== 'uploaded' && doc.status !== 'pending_upload') return state;
      if (tries >= POLL_LIMIT) { var e = new Error('timeout'); e.state = state; throw e; }
      return new Promise(function (r) { setTimeout(r, POLL_MS); }).then(function () { return poll(docId, tries + 1); });
    });
  }

  function upload(s, input) {
    var file = input.files && input.files[0];
    if (!file) return;
    var selfie = s.kinds[0] === 'selfie';
    var allowed = selfie ? SELFIE_TYPES : TYPES;
    if (allowed.indexOf(file.type) < 0) { show(s, 'error', t(selfie ? 'err_type_selfie' : 'err_type')); return; }
    if (file.size > MAX_BYTES) { show(s, 'error', t('err_size')); return; }
    var chosen = s.el.querySelector('input[type=radio]:checked');
    var body = { kind: chosen ? chosen.value : s.kinds[0], content_type: file.type };
    if (s.director !== null) body.director_index = s.director;
    var bar = s.el.querySelector('progress');
    bar.value = 0;
    bar.hidden = false;
    busy += 1;
    s.el.setAttribute('data-busy', '1');
    input.disabled = true;
    show(s, 'uploading', t('doc_uploading'));
    call('POST', '/documents', body)
      .then(function (answer) {
        return put(answer.upload, file, function (f) { bar.value = Math.round(f * 100); })
          .then(function () { bar.value = 100; show(s, 'checking', t('doc_checking')); return poll(answer.document.id, 0); });
      })
      .then(function (state) { finish(); render(state); }, function (e) {
        finish();
        show(s, 'error', e.message === 'timeout' ? t('err_timeout') : message(e));
      });
    function finish() {
      busy -= 1;
      s.el.removeAttribute('data-busy');
      input.disabled = false;
      input.value = '';
      bar.hidden = true;
    }
  }

  Array.prototype.forEach.call(document.querySelectorAll('.step'), function (el) {
    var s = stepOf(el);
    el.querySelector('input[type=file]').addEventListener('change', function (e) { upload(s, e.target); });
  });

  // The first call (never the page's GET, which link scanners also make) opens the link.
  call('PUT', '/session').then(render, function (e) { statusLine.textContent = message(e); });
})();
