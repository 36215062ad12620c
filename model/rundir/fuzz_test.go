package rundir

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/deformscope/deformscope/model/experiment/experimenttest"
)

// FuzzOpen feeds arbitrary config.json and metrics.jsonl contents to Open:
// it must return a run or an error naming the file, never panic.
func FuzzOpen(f *testing.F) {
	good, _ := json.Marshal(experimenttest.TinyConfig("cnn", "dcnn"))
	f.Add(good, []byte(`{"model":"cnn","epoch":1,"test_acc":97.5,"train_loss":null}`+"\n"))
	f.Add(good, []byte("{truncated"))
	f.Add([]byte(`{"data":"coco","models":["dcnn-first"],"coco":{"ann":"a","images":"b","size":64,"top_k":10}}`), []byte{})
	f.Add([]byte(`{"data":"mnist","models":["cnn"],"train":{"epochs":-1}}`), []byte("\n\n"))
	f.Fuzz(func(t *testing.T, config, metrics []byte) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "config.json"), config, 0o644)
		os.WriteFile(filepath.Join(dir, "metrics.jsonl"), metrics, 0o644)
		r, err := Open(dir)
		if err != nil {
			return
		}
		if r.Config.Validate() != nil {
			t.Errorf("Open accepted a config that does not validate")
		}
		r.LatestCheckpoint("cnn")
	})
}
