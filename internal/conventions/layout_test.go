package conventions

import (
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestReadmeLayout checks README.md's layout table against the module's packages and their imports
// (go list): the table names every package, names nothing that is neither a package nor a folder,
// and reads top down, so that no package imports one listed in a row above its own.
func TestReadmeLayout(t *testing.T) {
	root := filepath.Join("..", "..")
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	rows := layoutRows(string(readme))
	if len(rows) == 0 {
		t.Fatal("README.md has no layout table (a \"## Layout\" section with rows of `paths`)")
	}
	isDir := func(p string) bool {
		st, err := os.Stat(filepath.Join(root, filepath.FromSlash(p)))
		return err == nil && st.IsDir()
	}
	for _, fault := range layoutFaults(rows, packageImports(t, root), isDir) {
		t.Error(fault)
	}
}

// TestLayoutFaults checks the check on a small table and import graph.
func TestLayoutFaults(t *testing.T) {
	readme := "# X\n\n## Layout\n\n| path | what |\n| --- | --- |\n" +
		"| `app` | the window |\n| `model/a`, `model/b` | two |\n| `docs` | prose |\n| `model/gone` | moved |\n" +
		"| `model/c` | the bottom |\n\n## Next\n\n| `model/d` | not in the layout section |\n"
	rows := layoutRows(readme)
	if want := [][]string{{"app"}, {"model/a", "model/b"}, {"docs"}, {"model/gone"}, {"model/c"}}; !slices.EqualFunc(rows, want, slices.Equal) {
		t.Fatalf("rows %q, want %q", rows, want)
	}
	graph := map[string][]string{
		"app":     {"model/a", "model/c"},
		"model/a": {"model/b"}, // same row: fine
		"model/b": {"model/c"}, // below: fine
		"model/c": {"model/a"}, // above: a fault
		"model/e": {"model/c"}, // not in the table: a fault
	}
	isDir := func(p string) bool { return p == "docs" }
	got := layoutFaults(rows, graph, isDir)
	want := []string{
		"model/c imports model/a, which the table lists above it",
		"model/e is not in the table",
		"the table lists model/gone, which is neither a package nor a folder",
	}
	if !slices.Equal(got, want) {
		t.Errorf("faults:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// layoutRows returns the paths in backquotes of the first cell of each row of the tables in the
// "## Layout" section of readme.
func layoutRows(readme string) [][]string {
	_, section, ok := strings.Cut(readme, "\n## Layout\n")
	if !ok {
		return nil
	}
	if end := strings.Index(section, "\n## "); end >= 0 {
		section = section[:end]
	}
	quoted := regexp.MustCompile("`([^`]+)`")
	var rows [][]string
	for line := range strings.SplitSeq(section, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 3 || !strings.HasPrefix(line, "|") {
			continue
		}
		var paths []string
		for _, m := range quoted.FindAllStringSubmatch(cells[1], -1) {
			paths = append(paths, m[1])
		}
		if len(paths) > 0 {
			rows = append(rows, paths)
		}
	}
	return rows
}

// packageImports lists the module's packages under root, each with the packages of the module it
// imports (test files aside), by paths relative to the module.
func packageImports(t *testing.T, root string) map[string][]string {
	t.Helper()
	cmd := exec.Command("go", "list", "-f", `{{.Module.Path}} {{.ImportPath}} {{join .Imports " "}}`, "./...")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	graph := map[string][]string{}
	for line := range strings.SplitSeq(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		mod, pkg := f[0]+"/", strings.TrimPrefix(f[1], f[0]+"/")
		graph[pkg] = nil
		for _, imp := range f[2:] {
			if strings.HasPrefix(imp, mod) {
				graph[pkg] = append(graph[pkg], strings.TrimPrefix(imp, mod))
			}
		}
	}
	return graph
}

// layoutFaults returns what is wrong with a layout table (its rows of paths, top down) for the
// import graph: packages it misses, paths in it that are no package (and no folder, as docs is),
// and imports that point up the table.
func layoutFaults(rows [][]string, graph map[string][]string, isDir func(string) bool) []string {
	row := map[string]int{}
	for i, paths := range rows {
		for _, p := range paths {
			row[p] = i
		}
	}
	var faults []string
	for _, pkg := range slices.Sorted(maps.Keys(graph)) {
		r, ok := row[pkg]
		if !ok {
			faults = append(faults, pkg+" is not in the table")
			continue
		}
		for _, imp := range graph[pkg] {
			if ri, ok := row[imp]; ok && ri < r {
				faults = append(faults, pkg+" imports "+imp+", which the table lists above it")
			}
		}
	}
	for _, paths := range rows {
		for _, p := range paths {
			if _, ok := graph[p]; !ok && !isDir(p) {
				faults = append(faults, "the table lists "+p+", which is neither a package nor a folder")
			}
		}
	}
	return faults
}
