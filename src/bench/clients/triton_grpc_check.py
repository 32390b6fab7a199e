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
st = c.get_inference_statistics("fashion-mnist", as_json=True)
print("stats", st["model_stats"][0]["inference_count"], st["model_stats"][0]["inference_stats"]["success"])
print("ALL TRITON GRPC CALLS OK")
