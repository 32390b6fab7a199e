# Triton's own Python HTTP client, unchanged, against lctserve: JSON and binary modes.
import gzip, sys, numpy as np
import tritonclient.http as httpclient
from tritonclient.utils import InferenceServerException

url = sys.argv[1] if len(sys.argv) > 1 else "localhost:8080"
c = httpclient.InferenceServerClient(url=url)
print("live", c.is_server_live(), "ready", c.is_server_ready(), "model ready", c.is_model_ready("fashion-mnist"))
print("server", c.get_server_metadata()["extensions"])
print("config", c.get_model_config("fashion-mnist")["max_batch_size"], "index", len(c.get_model_repository_index()))
with gzip.open("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz") as f:
    images = np.frombuffer(f.read()[16:], dtype=np.uint8).reshape(-1, 1, 28, 28)
x = images[:4].astype(np.float32) / 255.0
answers = {}
for binary in (False, True):
    for compression in (None, "gzip", "deflate"):
        inp = httpclient.InferInput("input", list(x.shape), "FP32"); inp.set_data_from_numpy(x, binary_data=binary)
        outs = [httpclient.InferRequestedOutput("class", binary_data=binary), httpclient.InferRequestedOutput("probabilities", binary_data=binary),
                httpclient.InferRequestedOutput("exit_stage", binary_data=binary)]
        r = c.infer("fashion-mnist", [inp], outputs=outs, parameters={"preset": "balanced"}, request_id="x", priority=1, timeout=2000000,
                    request_compression_algorithm=compression)
        answers[(binary, compression)] = (r.as_numpy("class").tolist(), r.as_numpy("probabilities").round(6).tolist(), r.as_numpy("exit_stage").tolist())
        print("binary", binary, "compression", compression, "classes", r.as_numpy("class"), "ignored", r.get_response().get("parameters", {}).get("ignored_parameters"))
assert len({str(v) for v in answers.values()}) == 1, "answers differ between modes"
inp = httpclient.InferInput("input", list(x.shape), "FP32"); inp.set_data_from_numpy(x)
top = c.infer("fashion-mnist", [inp], outputs=[httpclient.InferRequestedOutput("probabilities", class_count=2)])
print("class_count 2", top.as_numpy("probabilities")[0])
try:
    c.infer("fashion-mnist", [inp], parameters={"treshold": 0.5})
except InferenceServerException as e:
    print("misspelt ->", e.status(), e.message())
print("stats, one entry per version", [(s["version"], s["inference_stats"]["success"]) for s in c.get_inference_statistics("fashion-mnist")["model_stats"]])
print("ALL TRITON HTTP CALLS OK, answers equal in JSON and binary modes, with and without compression")
