#!/usr/bin/env bats
# The inspector at /ui/: how sa-serve serves its embedded files (redirect,
# content types, ETag revalidation, public shell, 404/405), then the page in
# headless Chromium (Debian's chromium driven by a pinned puppeteer-core,
# tests/ui/drive.js): with and without a token, permissions and questions
# answered by clicking, a stream cut mid-burst, terminate, shared session
# links, the file browser, a phone-sized screen.  Screenshots are kept in
# $SA_UI_SHOTS/<test> (default build/ui-shots under the checkout).

bats_require_minimum_version 1.5.0
load serve_helpers

setup_file() {
  NODE_PATH=$("$BATS_TEST_DIRNAME/../ui/install.sh") || return 1
  export NODE_PATH
}

setup() {
  T=$BATS_TEST_TMPDIR
  SHOTS=${SA_UI_SHOTS:-${SA_TOP:-$BATS_TEST_DIRNAME/../..}/build/ui-shots}/$(echo "$BATS_TEST_DESCRIPTION" | tr -c 'A-Za-z0-9\n' '-' | cut -c1-60)
}
teardown() { serve_teardown; }

# drive FLOW [args...] — run the browser flow against $URL; its JSON in $out.
drive() {
  run --separate-stderr timeout -k 5 120 node "$BATS_TEST_DIRNAME/../ui/drive.js" "$1" "$URL" "$SHOTS" "${@:2}"
  if [ "$status" -ne 0 ]; then echo "drive.js $1 failed ($status): $stderr" >&2; return 1; fi
  out=$output
}

# etag_of PATH — the ETag header of GET PATH.
etag_of() { curl -s -D - -o /dev/null --max-time 10 "$URL$1" | tr -d '\r' | sed -n 's/^etag: //Ip'; }

@test "GET /ui answers 308 to the relative ui/" {
  serve_start --no-token
  h=$(curl -s -D - -o /dev/null --max-time 10 "$URL/ui" | tr -d '\r')
  grep -q '^HTTP/1.1 308' <<<"$h"
  grep -qi '^location: ui/$' <<<"$h"
}

@test "/ui/ is index.html as text/html with an ETag, Cache-Control no-cache and a CSP" {
  serve_start --no-token
  h=$(curl -s -D "$T/h" -o "$T/b" --max-time 10 "$URL/ui/"; tr -d '\r' <"$T/h")
  grep -qi '^content-type: text/html; charset=utf-8' <<<"$h"
  grep -qi '^etag: "[0-9]*-[0-9]*"$' <<<"$h"
  grep -qi '^cache-control: no-cache$' <<<"$h"
  grep -qi "^content-security-policy: default-src 'none'; script-src 'self'" <<<"$h"
  cmp "$T/b" "$SA_TOP/sa-serve/ui/index.html"
}

@test "each embedded file is served byte for byte with its content type" {
  serve_start --no-token
  for f in app.js api.js session.js transcript.js views.js dom.js app.css; do
    ct=$(curl -s -o "$T/b" -w '%{content_type}' --max-time 10 "$URL/ui/$f")
    case $f in *.js) [ "$ct" = "text/javascript; charset=utf-8" ] ;; *.css) [ "$ct" = "text/css; charset=utf-8" ] ;; esac
    cmp "$T/b" "$SA_TOP/sa-serve/ui/$f"
  done
}

@test "If-None-Match with the file's ETag answers 304 with no body" {
  serve_start --no-token
  tag=$(etag_of /ui/app.js)
  [ -n "$tag" ]
  code=$(curl -s -o "$T/b" -w '%{http_code}' -H "If-None-Match: $tag" --max-time 10 "$URL/ui/app.js")
  [ "$code" = 304 ] && [ ! -s "$T/b" ]
  code=$(curl -s -o /dev/null -w '%{http_code}' -H 'If-None-Match: "0-0"' --max-time 10 "$URL/ui/app.js")
  [ "$code" = 200 ]
}

@test "with a token the /ui/ shell is public while /v1 answers 401" {
  serve_start --token sekrit
  [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$URL/ui/")" = 200 ]
  [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$URL/v1/sessions")" = 401 ]
}

@test "unknown /ui/ files are 404 and POST /ui/ is 405 with Allow: GET, HEAD" {
  serve_start --no-token
  [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$URL/ui/nope.js")" = 404 ]
  [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$URL/ui/x/app.js")" = 404 ]
  [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$URL/uix")" = 404 ]
  h=$(curl -s -D - -o /dev/null -X POST --max-time 10 "$URL/ui/" | tr -d '\r')
  grep -q '^HTTP/1.1 405' <<<"$h" && grep -qi '^allow: GET, HEAD$' <<<"$h"
}

@test "browser, no token: the page lists the agents and never asks for a token" {
  serve_start --no-token
  drive notoken
  jq -e '.dialog == false and (.agents | index("mock")) and .errors == []' <<<"$out"
}

@test "browser, token: the page asks for it, then lists agents and streams a reply" {
  serve_start --token sekrit
  drive token --token sekrit
  jq -e '.asked == ["This server needs a token."] and (.texts | index("through the token")) and .errors == []' <<<"$out"
}

@test "browser, wrong token: the page asks again, saying it was not accepted" {
  serve_start --token sekrit
  drive token --wrong-token nope --token sekrit
  jq -e '.asked == ["This server needs a token.", "The token was not accepted."]' <<<"$out"
}

# permission_clicked REPLY STATUS — the mock's two permission requests, each
# answered by clicking REPLY, are resolved with STATUS (and the mock says so).
permission_clicked() {
  serve_start --no-token
  drive permission --reply "$1"
  events perm1 | jq -s -e --arg s "$2" '[.[] | select(.type == "permission.resolved") | [.data.permission_id, .data.status]]
    == [["mock_1_permission", $s], ["mock_1_permission_denied", $s]]'
  jq -e --arg t "mock_1_permission_denied: $1" '.texts | index($t)' <<<"$out"
}

@test "browser: clicking Allow once resolves both mock permissions as accept" {
  permission_clicked once accept
}

@test "browser: clicking Reject resolves both mock permissions as reject" {
  permission_clicked reject reject
}

@test "browser: picking Blue answers the color question with Blue" {
  serve_start --no-token
  drive question
  events q1 | jq -s -e 'any(.[]; .type == "question.resolved" and .data.question_id == "mock_1_question"
    and .data.status == "answered" and .data.response == "Blue")'
  jq -e '.texts | index("mock_1_question: Blue")' <<<"$out"
}

@test "browser: the question's Reject button rejects it" {
  serve_start --no-token
  drive question
  events q1 | jq -s -e 'any(.[]; .type == "question.resolved" and .data.question_id == "mock_1_question_reject"
    and .data.status == "rejected" and .data.response == null)'
}

@test "browser: a free answer typed into the question card is sent as its response" {
  serve_start --no-token
  drive question --free "teal, please"
  events q1 | jq -s -e 'any(.[]; .type == "question.resolved" and .data.question_id == "mock_1_question"
    and .data.status == "answered" and .data.response == "teal, please")'
}

@test "browser: a stream cut 4 times mid-burst shows every event exactly once" {
  serve_start --no-token
  drive burst
  # the cuts and the rewound resumes happened (else this proves nothing) ...
  jq -e '.drops == 4 and .connects == 5 and .duplicates > 0' <<<"$out"
  # ... and the events tab holds 1..eventCount, each once
  jq -e '.eventCount > 400 and .rows == [range(1; .eventCount + 1)]' <<<"$out"
  # ... and the reply has the whole burst, not doubled
  want=$(events b1 | jq -r 'select(.type == "item.completed" and .data.item.native_item_id == "mock_1_reply")
    | .data.item.content[0].text')
  [ "${#want}" = 3200 ]
  jq -e --arg w "$want" '.texts | index($w)' <<<"$out"
}

@test "browser: Terminate (clicked twice) ends the session" {
  serve_start --no-token
  drive terminate
  api GET /v1/sessions/t1
  jq -e '.ended == true' <<<"$body"
  events t1 | jq -s -e 'any(.[]; .type == "session.ended" and .data.reason == "terminated")'
}

@test "browser: a session's URL #/sessions/ID opens its transcript directly" {
  serve_start --no-token
  api POST /v1/sessions/link1 '{"agent":"mock"}'
  api POST /v1/sessions/link1/messages '{"message":"echo shared link"}'
  wait_event link1 '.type == "turn.ended"'
  drive deeplink --session link1
  jq -e '.title == "link1" and (.texts | index("shared link"))' <<<"$out"
}

@test "browser: the file browser uploads a file into the root and reads it back" {
  serve_start --no-token
  drive files
  [ "$(cat "$T/upload-me.txt")" = "uploaded through the inspector" ]
  jq -e '.content == "uploaded through the inspector\n"' <<<"$out"
}

@test "browser: on a 390 px phone screen nothing overflows sideways and Send stays on screen" {
  serve_start --no-token
  drive phone
  jq -e '.width == 390 and .scrollWidth <= 390 and .sendVisible' <<<"$out"
}

@test "README shows the committed inspector screenshot, a PNG" {
  grep -q '](docs/inspector.png)' "$SA_TOP/README.md"
  [ "$(head -c 8 "$SA_TOP/docs/inspector.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]
}
