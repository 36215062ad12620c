package conventions

import (
	"go/scanner"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// maxComment is the widest a line holding a // comment may be, a tab counting as tabWidth columns.
const (
	maxComment = 100
	tabWidth   = 4
)

// TestCommentWidth fails, naming file:line, for every line of a tracked .go file that holds a //
// comment and is wider than maxComment. A comment that is one word (a URL) is let through: it
// cannot break. The wrapcomments tool rewraps comment blocks; trailing comments are moved by hand.
func TestCommentWidth(t *testing.T) {
	root, files := goFiles(t)
	var bad []string
	for _, f := range files {
		src, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			t.Fatal(err)
		}
		for _, ln := range wideComments(t, f, src) {
			bad = append(bad, f+":"+ln)
		}
	}
	if len(bad) > 0 {
		t.Errorf("%d comment lines over %d columns (a tab counts %d):\n%s",
			len(bad), maxComment, tabWidth, strings.Join(bad, "\n"))
	}
}

// TestWideComments checks the check on a small file.
func TestWideComments(t *testing.T) {
	long := strings.Repeat("word ", 20)
	src := "package p\n\n" +
		"// " + long + "\n" + // 2 + 1 + 100 columns: too wide
		"var s = `// " + long + "`\n" + // in a string, not a comment
		"var x = 1 // " + long + "\n" + // a trailing comment: too wide
		"\t// " + strings.Repeat("w", 45) + " " + strings.Repeat("w", 49) + "\n" + // 4 + 98 columns
		"// https://example.com/" + strings.Repeat("a", 90) + "\n" + // one word: let through
		"// short\n"
	got := wideComments(t, "p.go", []byte(src))
	want := []string{"3: 103 columns", "5: 113 columns", "6: 102 columns"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("wideComments = %q, want %q", got, want)
	}
}

// wideComments returns "line: N columns" for each line of src that holds a // comment and is too
// wide.
func wideComments(t *testing.T, name string, src []byte) []string {
	t.Helper()
	fset := token.NewFileSet()
	file := fset.AddFile(name, fset.Base(), len(src))
	var s scanner.Scanner
	s.Init(file, src, func(pos token.Position, msg string) { t.Errorf("%s: %s", pos, msg) },
		scanner.ScanComments)
	lines := strings.Split(string(src), "\n")
	var out []string
	seen := map[int]bool{}
	for {
		pos, tok, lit := s.Scan()
		if tok == token.EOF {
			break
		}
		if tok != token.COMMENT || !strings.HasPrefix(lit, "//") {
			continue
		}
		ln := file.Position(pos).Line
		oneWord := len(strings.Fields(lit[2:])) == 1 && strings.TrimSpace(lines[ln-1]) == lit
		if seen[ln] || oneWord {
			continue
		}
		seen[ln] = true
		if w := width(strings.TrimRight(lines[ln-1], "\r")); w > maxComment {
			out = append(out, strconv.Itoa(ln)+": "+strconv.Itoa(w)+" columns")
		}
	}
	return out
}

// width is the columns s takes, a tab counting as tabWidth.
func width(s string) int {
	n := 0
	for _, r := range s {
		if r == '\t' {
			n += tabWidth
		} else {
			n++
		}
	}
	return n
}

// goFiles returns the repository's root and its tracked .go files (relative to the root), or,
// where git cannot list them, every .go file under the root outside hidden folders.
func goFiles(t *testing.T) (string, []string) {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("no go.mod at %s: %v", root, err)
	}
	if out, err := exec.Command("git", "-C", root, "ls-files", "-z", "*.go").Output(); err == nil {
		var files []string
		for _, f := range strings.Split(string(out), "\x00") {
			if f != "" {
				files = append(files, f)
			}
		}
		if len(files) > 0 {
			return root, files
		}
	}
	var files []string
	err = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && p != root && strings.HasPrefix(d.Name(), ".") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(p, ".go") {
			rel, err := filepath.Rel(root, p)
			if err != nil {
				return err
			}
			files = append(files, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return root, files
}
