// Runs ONNX models with ONNX Runtime's CPU provider (npm onnxruntime-node) and prints their outputs as JSON:
//   node ort_logits.js JOBS.json
// JOBS.json is a list of {"model": "a.onnx", "input": "x.f32", "shape": [N, C, H, W]}, where x.f32 holds the input as
// little-endian float32. The output is {"a.onnx": [logits...], ...}. Used by model/onnx's TestOnnxRuntime.
const fs = require('fs');
const ort = require('onnxruntime-node');
(async () => {
  const jobs = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  const out = {};
  for (const j of jobs) {
    const sess = await ort.InferenceSession.create(j.model, { executionProviders: ['cpu'], intraOpNumThreads: 1, interOpNumThreads: 1 });
    const buf = fs.readFileSync(j.input);
    const x = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
    const res = await sess.run({ [sess.inputNames[0]]: new ort.Tensor('float32', Float32Array.from(x), j.shape) });
    out[j.model] = Array.from(res[sess.outputNames[0]].data);
  }
  process.stdout.write(JSON.stringify(out));
})().catch((e) => { console.error(String(e && e.stack || e)); process.exit(1); });
