package runner

import (
	"path/filepath"
	"testing"

	"github.com/deformscope/deformscope/model/experiment"
	"github.com/deformscope/deformscope/model/torchfile"
)

// TestExportImportRoundTrip makes a run of a net (ImportRun), exports it as a PyTorch package
// (Export) and imports the package's weights into a new run (Import): the weights come back
// bit for bit, and an export into the run folder itself is refused.
func TestExportImportRoundTrip(t *testing.T) {
	for _, arch := range []string{"mnist-cnn", "mnist-dcnn", "mnist-dcnn-v1"} {
		t.Run(arch, func(t *testing.T) {
			a, err := torchfile.ParseArch(arch)
			if err != nil {
				t.Fatal(err)
			}
			net, err := a.NewNet(10, 0)
			if err != nil {
				t.Fatal(err)
			}
			// Distinct values in every parameter, so that a swapped or dropped tensor shows.
			for i, p := range net.Params() {
				for j := range p.Value.Data() {
					p.Value.Data()[j] = float32(i) + float32(j%997)*1e-3
				}
			}
			rc := experiment.StudyProtocol()
			rc.Models, rc.DCNv1 = []string{a.Model}, a.DCNv1
			rc.Train.Epochs = 1
			dir := t.TempDir()
			run, err := ImportRun(filepath.Join(dir, "run"), rc, a.Model, net)
			if err != nil {
				t.Fatal(err)
			}
			export := filepath.Join(dir, "export")
			got, err := Export(run, a.Model, 0, export)
			if err != nil {
				t.Fatal(err)
			}
			if got != arch {
				t.Errorf("Export returned architecture %q, want %q", got, arch)
			}
			weights := filepath.Join(export, "weights.safetensors")
			again, err := Import(weights, arch, filepath.Join(dir, "again"), ImportOptions{})
			if err != nil {
				t.Fatal(err)
			}
			back, epoch, err := again.LoadModel(a.Model, 0)
			if err != nil {
				t.Fatal(err)
			}
			if epoch != 1 {
				t.Errorf("the imported run's checkpoint is of epoch %d, want 1", epoch)
			}
			want, have := net.Params(), back.Params()
			if len(have) != len(want) {
				t.Fatalf("%d parameters came back, want %d", len(have), len(want))
			}
			for i, p := range want {
				q := have[i]
				if q.Name != p.Name {
					t.Fatalf("parameter %d is %s, want %s", i, q.Name, p.Name)
				}
				for j, v := range p.Value.Data() {
					if w := q.Value.Data()[j]; w != v {
						t.Fatalf("%s[%d] = %g after the round trip, want %g", p.Name, j, w, v)
					}
				}
			}
			if _, err := Export(run, a.Model, 0, run.Dir); err == nil {
				t.Error("Export into the run folder itself succeeded; want a refusal")
			}
		})
	}
}
