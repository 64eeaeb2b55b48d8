#!/usr/bin/env bats
# serve_todos.bats — GET /v1/sessions/{id}/todos and SessionInfo.todos
# without an agent that keeps a todo list (the mock): the empty list, the
# errors, the OpenAPI entry.  Lists made by a real agent, and read back
# after a restart, are in todos_claude.bats.

bats_require_minimum_version 1.5.0
load serve_helpers

teardown() { serve_teardown; }

@test "todos: a session without todo items has GET /todos {\"todos\":[]}" {
  serve_start --no-token
  api POST /v1/sessions/t1 '{"agent":"mock"}'
  api GET /v1/sessions/t1/todos
  [ "$code" = 200 ] && [ "$(jq -c . <<<"$body")" = '{"todos":[]}' ]
}

@test "todos: SessionInfo.todos is [] for a session without todo items" {
  serve_start --no-token
  api POST /v1/sessions/t1 '{"agent":"mock"}'
  api GET /v1/sessions/t1
  [ "$(jq -c .todos <<<"$body")" = '[]' ]
}

@test "todos: GET /todos of an unknown session is a 404 problem" {
  serve_start --no-token
  api GET /v1/sessions/nope/todos
  [ "$code" = 404 ] && [ "$(jq -r .type <<<"$body")" = urn:sandbox-agent:error:session_not_found ]
}

@test "todos: POST /todos is 405 with Allow: GET" {
  serve_start --no-token
  api POST /v1/sessions/t1 '{"agent":"mock"}'
  api POST /v1/sessions/t1/todos '{}'
  [ "$code" = 405 ]
}

@test "todos: /v1/openapi.json lists GET /todos and SessionInfo.todos" {
  serve_start --no-token
  api GET /v1/openapi.json
  jq -e '.paths["/v1/sessions/{sessionId}/todos"].get.operationId == "getTodos"
         and .components.schemas.SessionInfo.properties.todos.items["$ref"] == "#/components/schemas/TodoItem"' <<<"$body"
}
