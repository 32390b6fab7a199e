# Triton's own Python gRPC client, unchanged (tritonclient from triton-inference-server/client), against lctserve.
import gzip, json, sys, urllib.request, numpy as np
import tritonclient.grpc as grpcclient
from tritonclient.utils import InferenceServerException

url = sys.argv[1] if len(sys.argv) > 1 else "localhost:8081"
http = sys.argv[2] if len(sys.argv) > 2 else "localhost:8080"  # the JSON path, to compare answers with
c = grpcclient.InferenceServerClient(url=url)
print("live", c.is_server_live(), "ready", c.is_server_ready(), "model ready", c.is_model_ready("fashion-mnist"),
      "unknown model ready", c.is_model_ready("nothing"))
meta = c.get_server_metadata(); print("server", meta.name, meta.version, list(meta.extensions))
m = c.get_model_metadata("fashion-mnist"); print("model", m.name, list(m.versions), m.platform, [(t.name, t.datatype, list(t.shape)) for t in m.inputs])
cfg = c.get_model_config("fashion-mnist", as_json=True); print("config", cfg["config"]["name"], cfg["config"]["max_batch_size"], cfg["config"]["input"], cfg["config"].get("dynamic_batching"))
print("index", c.get_model_repository_index(as_json=True))

with gzip.open("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz") as f:
    images = np.frombuffer(f.read()[16:], dtype=np.uint8).reshape(-1, 1, 28, 28)
with gzip.open("/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz") as f:
    labels = np.frombuffer(f.read()[8:], dtype=np.uint8)

x = (images[:4].astype(np.float32) / 255.0)
inp = grpcclient.InferInput("input", list(x.shape), "FP32"); inp.set_data_from_numpy(x)
outs = [grpcclient.InferRequestedOutput("probabilities"), grpcclient.InferRequestedOutput("class"), grpcclient.InferRequestedOutput("exit_stage")]
r = c.infer("fashion-mnist", [inp], outputs=outs, parameters={"preset": "balanced"}, request_id="r1", priority=1, timeout=2000000)
print("infer classes", r.as_numpy("class"), "labels", labels[:4], "exit", r.as_numpy("exit_stage"), "id", r.get_response().id)
body = {"inputs": [{"name": "input", "shape": list(x.shape), "datatype": "FP32", "data": x.flatten().tolist()}],
        "parameters": {"preset": "balanced"}}
req = urllib.request.Request(f"http://{http}/v2/models/fashion-mnist/infer", json.dumps(body).encode(),
                             {"Content-Type": "application/json"})
plain = {o["name"]: o["data"] for o in json.load(urllib.request.urlopen(req))["outputs"]}
assert r.as_numpy("class").tolist() == plain["class"], "class differs from the JSON path"
assert r.as_numpy("exit_stage").tolist() == plain["exit_stage"], "exit stage differs from the JSON path"
assert np.allclose(r.as_numpy("probabilities").flatten(), plain["probabilities"], atol=1e-6), "probabilities differ"
print("gRPC answers equal the JSON path's")
print("probabilities shape", r.as_numpy("probabilities").shape, "response parameters", dict((k, str(v).strip()) for k, v in r.get_response().parameters.items()))
u = grpcclient.InferInput("input", [2, 1, 28, 28], "UINT8"); u.set_data_from_numpy(images[:2])
top = c.infer("fashion-mnist", [u], outputs=[grpcclient.InferRequestedOutput("probabilities", class_count=3)])
print("class_count 3", top.as_numpy("probabilities"))
r2 = c.infer("fashion-mnist", [inp], client_timeout=5.0, parameters={"mode": "full"})
print("full", r2.as_numpy("class"))
try:
    c.infer("fashion-mnist", [inp], parameters={"treshold": 0.5})
except InferenceServerException as e:
    print("misspelt ->", e.status(), e.message())
try:
    c.infer("nothing", [inp])
except InferenceServerException as e:
    print("unknown model ->", e.status(), e.message())
for algorithm in ("gzip", "deflate"):  # Triton's clients compress with either
    z = c.infer("fashion-mnist", [inp], parameters={"preset": "balanced"}, compression_algorithm=algorithm)
    assert z.as_numpy("class").tolist() == plain["class"], algorithm + " answer differs"
print("gzip and deflate requests answered")

# Triton's decoupled streaming: progressive: true answers once per head consulted, the last final and
# equal to the unary answer; without it, one answer per request.
import queue
heard = queue.Queue()
c.start_stream(callback=lambda result, error: heard.put((result, error)))
one = grpcclient.InferInput("input", [1, 1, 28, 28], "UINT8"); one.set_data_from_numpy(images[:1])
c.async_stream_infer("fashion-mnist", [one], request_id="every-head", parameters={"progressive": True, "threshold": 1.0},
                     enable_empty_final_response=True)
c.async_stream_infer("fashion-mnist", [one], request_id="plain", parameters={"threshold": 1.0})
c.async_stream_infer("nothing", [one], request_id="unknown")
by_id = {}
answers = []  # four answers for every-head, one for plain, one error
while len(answers) < 6:
    result, error = heard.get(timeout=30)
    answers.append((result, error))
c.stop_stream()
errors = [e for r, e in answers if e is not None]
assert len(errors) == 1 and "unknown model nothing" in str(errors[0]), errors
for r, e in answers:
    if e is None:
        by_id.setdefault(r.get_response().id, []).append(r)
final = lambda r: r.get_response().parameters["triton_final_response"].bool_param
every = by_id["every-head"]
assert [int(r.as_numpy("exit_stage")[0]) for r in every] == [0, 1, 2, 3], [r.as_numpy("exit_stage") for r in every]
assert [final(r) for r in every] == [False, False, False, True]
assert len(by_id["plain"]) == 1 and final(by_id["plain"][0])
unary = c.infer("fashion-mnist", [one], parameters={"threshold": 1.0})
assert every[-1].as_numpy("class").tolist() == unary.as_numpy("class").tolist() == by_id["plain"][0].as_numpy("class").tolist()
assert np.allclose(every[-1].as_numpy("probabilities"), unary.as_numpy("probabilities"), atol=1e-6)
print("stream: every-head", [(int(r.as_numpy("exit_stage")[0]), final(r)) for r in every], "plain", len(by_id["plain"]),
      "error", str(errors[0]).strip()[:60])

st = c.get_inference_statistics("fashion-mnist", as_json=True)
print("stats, one entry per version", [(s["version"], int(s.get("inference_count", 0))) for s in st["model_stats"]])
st = c.get_inference_statistics("fashion-mnist", model_version=m.versions[-1], as_json=True)
assert len(st["model_stats"]) == 1 and st["model_stats"][0]["version"] == m.versions[-1]
print("ALL TRITON GRPC CALLS OK")
