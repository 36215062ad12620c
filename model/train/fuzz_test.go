package train

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// FuzzOpen feeds arbitrary config.json and metrics.jsonl contents to Open:
// it must return a run or an error naming the file, never panic.
func FuzzOpen(f *testing.F) {
	good, _ := json.Marshal(tinyConfig("cnn", "dcnn"))
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

// FuzzReadImage feeds arbitrary bytes to ReadImage: an image or an error,
// never a panic, and never a decode of a huge declared size.
func FuzzReadImage(f *testing.F) {
	f.Add([]byte("\x89PNG\r\n\x1a\n"))
	f.Add([]byte("\xff\xd8\xff\xe0"))
	f.Add([]byte("GIF89a"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(t.TempDir(), "img")
		os.WriteFile(p, b, 0o644)
		img, err := ReadImage(p)
		if err == nil && (img == nil || img.Bounds().Dx()*img.Bounds().Dy() > MaxImagePixels) {
			t.Errorf("ReadImage returned %v without error", img)
		}
	})
}
