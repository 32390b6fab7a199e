-- wrk script: POSTs V2 infer requests, cycling through the bodies in $BODIES (written by
-- `lctserve-bench wrk-bodies`), each thread starting at its own offset. A file of JSON bodies, one
-- per line, is sent as application/json; a file written with --binary (records of a line
-- "<json bytes> <body bytes>" and then the body) in the binary tensor data extension.
--   BODIES=/tmp/full.jsonl wrk -t1 -c2 -d30s --latency -s src/bench/wrk/cycle.lua http://localhost:8080
local requests = {}
local next_index = 0
local path = "/v2/models/" .. (os.getenv("MODEL") or "fashion-mnist") .. "/infer"

function init(args)
  local f = assert(io.open(os.getenv("BODIES"), "rb"))
  while true do
    local line = f:read("*l")
    if not line then break end
    local json_length, body_length = line:match("^(%d+) (%d+)$")
    if json_length then
      requests[#requests + 1] = wrk.format("POST", path, {
        ["Content-Type"] = "application/octet-stream",
        ["Inference-Header-Content-Length"] = json_length,
      }, f:read(tonumber(body_length)))
    else
      requests[#requests + 1] = wrk.format("POST", path, { ["Content-Type"] = "application/json" }, line)
    end
  end
  f:close()
  next_index = math.random(#requests) - 1
end

function request()
  next_index = next_index % #requests + 1
  return requests[next_index]
end

-- With ALLOW_REFUSALS=1, 503s (refused under overload) are counted by wrk as non-2xx, not errors.
local allow_refusals = os.getenv("ALLOW_REFUSALS") == "1"

function response(status, headers, body)
  if status ~= 200 and not (allow_refusals and status == 503) then
    error("HTTP " .. status .. ": " .. body)
  end
end
