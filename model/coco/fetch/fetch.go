package fetch

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/deformscope/deformscope/internal/atomicfile"
)

// DefaultBaseURL is where cocodataset.org serves its zips.
const DefaultBaseURL = "http://images.cocodataset.org"

// Archive is one zip that Fetch downloads.
type Archive struct {
	// Path is the zip's URL path under the base URL, such as "zips/val2017.zip".
	Path string
	// Size is its length in bytes and SHA256 its hex SHA-256 sum; zero values mean unknown (not
	// checked).
	Size   int64
	SHA256 string
}

// Name returns the zip's file name.
func (a Archive) Name() string { return path.Base(a.Path) }

// KnownArchives lists the 2017 zips by URL path, with sizes and SHA-256 sums. cocodataset.org
// publishes no sums; these are the ones TensorFlow Datasets records for the same URLs
// (tensorflow_datasets/url_checksums/coco2017.txt). A download whose size or sum differs is
// refused. Clear SHA256 (or Size) of an entry to skip its check.
var KnownArchives = map[string]Archive{
	"annotations/annotations_trainval2017.zip": {Path: "annotations/annotations_trainval2017.zip",
		Size: 252907541, SHA256: "113a836d90195ee1f884e704da6304dfaaecff1f023f49b6ca93c4aaae470268"},
	"zips/val2017.zip": {Path: "zips/val2017.zip",
		Size: 815585330, SHA256: "4f7e2ccb2866ec5041993c9cf2a952bbed69647b115d0f74da7ce8f4bef82f05"},
	"zips/train2017.zip": {Path: "zips/train2017.zip",
		Size: 19336861798, SHA256: "69a8bb58ea5f8f99d24875f21416de2e9ded3178e903f1f7603e283b9e06d929"},
}

// SplitArchives returns the zips a split needs, "val2017" or "train2017": the annotations (both
// splits share one zip) and the split's images.
func SplitArchives(split string) ([]Archive, error) {
	if split != "val2017" && split != "train2017" {
		return nil, fmt.Errorf("fetch: split %q: want val2017 or train2017", split)
	}
	return []Archive{archive("annotations/annotations_trainval2017.zip"), archive("zips/" + split + ".zip")}, nil
}

func archive(p string) Archive {
	if a, ok := KnownArchives[p]; ok {
		return a
	}
	return Archive{Path: p}
}

// Fetcher downloads and unpacks COCO zips.
type Fetcher struct {
	// BaseURL is the server; "" means DefaultBaseURL.
	BaseURL string
	// Client makes the requests; nil means http.DefaultClient.
	Client *http.Client
	// Limits caps what Extract writes; the zero value means DefaultExtractLimits.
	Limits ExtractLimits
	// Progress, if set, is called as bytes arrive, with the zip's name, the bytes it holds and its
	// full size (0 if unknown).
	Progress func(name string, done, total int64)
	// Retries is how many times a download that breaks off is resumed within one call; 0 means 3.
	Retries int
	// StallTimeout abandons an attempt when no byte has come for this long: while connecting,
	// waiting for the headers, or mid-body (a server that accepts and stalls held dcn coco fetch
	// for ever). The attempt is then retried, resuming where it stopped. 0 means
	// DefaultStallTimeout.
	StallTimeout time.Duration
}

// DefaultStallTimeout is Fetcher.StallTimeout's default.
const DefaultStallTimeout = 60 * time.Second

// errStalled reports an attempt abandoned by the stall timer.
var errStalled = errors.New("no data for the stall timeout; the server stalled")

// stallReader resets the stall timer whenever bytes arrive.
type stallReader struct {
	r     io.Reader
	timer *time.Timer
	d     time.Duration
}

func (s *stallReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if n > 0 {
		s.timer.Reset(s.d)
	}
	return n, err
}

// Fetch downloads the zips of split ("val2017" or "train2017") into dir and unpacks them there,
// giving dir/annotations/instances_SPLIT.json and dir/SPLIT/*.jpg. Work already done (a complete,
// checked zip; an unpacked zip) is not done again, and an interrupted download resumes.
func (f *Fetcher) Fetch(ctx context.Context, split, dir string) error {
	archives, err := SplitArchives(split)
	if err != nil {
		return err
	}
	for _, a := range archives {
		zipPath, sum, err := f.Download(ctx, a, dir)
		if err != nil {
			return err
		}
		if err := extractOnce(zipPath, sum, dir, f.Limits); err != nil {
			return err
		}
	}
	return nil
}

// extractOnce unpacks a zip unless a stamp file says that this very zip (by sum) was unpacked into
// dir before.
func extractOnce(zipPath, sum, dir string, lim ExtractLimits) error {
	stamp := filepath.Join(dir, "."+filepath.Base(zipPath)+".extracted")
	if b, err := os.ReadFile(stamp); err == nil && strings.TrimSpace(string(b)) == sum {
		return nil
	}
	if err := Extract(zipPath, dir, lim); err != nil {
		return err
	}
	return atomicfile.WriteFile(stamp, []byte(sum+"\n"), 0o644)
}

// Download fetches a into dir and returns the zip's path and hex SHA-256 sum. The bytes go to
// NAME.part, which a later call resumes with a Range request (a server that answers 200 instead of
// 206, or 206 from another offset, makes it start over). The complete file is checked against a's
// size and sum, synced and renamed to NAME, and its sum written to NAME.sha256 ("sha256sum"
// format). A file that fails the check is removed, so that the next call downloads it afresh rather
// than resuming a corrupt prefix. A NAME whose NAME.sha256 matches a's sum (or any sum, if a has
// none) counts as done.
func (f *Fetcher) Download(ctx context.Context, a Archive, dir string) (zipPath, sum string, err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", fmt.Errorf("fetch: %w", err)
	}
	final := filepath.Join(dir, a.Name())
	if sum, ok := verified(final, a); ok {
		return final, sum, nil
	}
	part := final + ".part"
	retries := f.Retries
	if retries <= 0 {
		retries = 3
	}
	var h hashState
	for attempt := 0; ; attempt++ {
		err = f.get(ctx, a, part, &h)
		if err == nil {
			break
		}
		if errors.Is(err, errOversize) {
			os.Remove(part)
			return "", "", fmt.Errorf("%w; the download was removed, run again to fetch it afresh", err)
		}
		var fatal *fatalError
		if ctx.Err() != nil || errors.As(err, &fatal) || attempt >= retries {
			return "", "", err
		}
	}
	sum = hex.EncodeToString(h.sum.Sum(nil))
	if a.Size > 0 && h.n != a.Size || a.SHA256 != "" && !strings.EqualFold(sum, a.SHA256) {
		os.Remove(part)
		return "", "", fmt.Errorf("fetch: %s: got %d bytes with SHA-256 %s, want %d bytes with %s; the download was "+
			"removed, run again to fetch it afresh", a.Name(), h.n, sum, a.Size, a.SHA256)
	}
	if err := atomicfile.CheckDest(final); err != nil {
		return "", "", fmt.Errorf("fetch: %w", err)
	}
	if err := os.Rename(part, final); err != nil {
		return "", "", fmt.Errorf("fetch: %w", err)
	}
	syncDir(dir)
	if err := atomicfile.WriteFile(final+".sha256", []byte(sum+"  "+a.Name()+"\n"), 0o644); err != nil {
		return "", "", fmt.Errorf("fetch: %w", err)
	}
	return final, sum, nil
}

// verified reports whether final is a finished download: present, with a NAME.sha256 whose sum is
// a's (if a has one) and a size that is a's (if a has one).
func verified(final string, a Archive) (string, bool) {
	b, err := os.ReadFile(final + ".sha256")
	if err != nil {
		return "", false
	}
	sum, _, _ := strings.Cut(strings.TrimSpace(string(b)), " ")
	st, err := os.Stat(final)
	if err != nil || len(sum) != 64 || a.SHA256 != "" && !strings.EqualFold(sum, a.SHA256) ||
		a.Size > 0 && st.Size() != a.Size {
		return "", false
	}
	return sum, true
}

// fatalError is a download error that retrying will not mend.
type fatalError struct{ err error }

func (e *fatalError) Error() string { return e.err.Error() }
func (e *fatalError) Unwrap() error { return e.err }

// hashState is the running SHA-256 of the bytes in the .part file.
type hashState struct {
	sum interface {
		io.Writer
		Sum([]byte) []byte
		Reset()
	}
	n int64
}

// errOversize reports a server that sends more than the file's known size.
var errOversize = errors.New("more than the expected size")

// maxDownload caps a download of unknown size.
const maxDownload = 64 << 30

// get makes one request for the rest of part and appends the answer to it, keeping h in step with
// part's bytes.
func (f *Fetcher) get(ctx context.Context, a Archive, part string, h *hashState) error {
	file, err := atomicfile.OpenDest(part, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return &fatalError{fmt.Errorf("fetch: %w", err)}
	}
	defer file.Close()
	st, err := file.Stat()
	if err != nil {
		return &fatalError{fmt.Errorf("fetch: %w", err)}
	}
	offset := st.Size()
	if h.sum == nil || h.n != offset {
		// Hash what an earlier call left, so that the sum covers the whole file.
		h.sum, h.n = sha256.New(), 0
		n, err := io.Copy(h.sum, bufio.NewReaderSize(io.LimitReader(file, offset), 1<<20))
		if err != nil {
			return &fatalError{fmt.Errorf("fetch: reading %s: %w", part, err)}
		}
		h.n = n
	}
	if a.Size > 0 && offset > a.Size {
		// Longer than the file: not ours.
		if err := restart(file, h); err != nil {
			return err
		}
		offset = 0
	}
	base := f.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	url := strings.TrimSuffix(base, "/") + "/" + a.Path
	stall := f.StallTimeout
	if stall <= 0 {
		stall = DefaultStallTimeout
	}
	rctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	timer := time.AfterFunc(stall, func() { cancel(errStalled) })
	defer timer.Stop()
	stalled := func(err error) error {
		if context.Cause(rctx) == errStalled && ctx.Err() == nil {
			return fmt.Errorf("%w (%v)", errStalled, stall)
		}
		return err
	}
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, url, nil)
	if err != nil {
		return &fatalError{fmt.Errorf("fetch: %w", err)}
	}
	if offset > 0 {
		req.Header.Set("Range", "bytes="+strconv.FormatInt(offset, 10)+"-")
	}
	client := f.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("fetch: GET %s: %w", url, stalled(err))
	}
	timer.Reset(stall)
	defer resp.Body.Close()
	total := a.Size
	switch resp.StatusCode {
	case http.StatusPartialContent:
		start, end, size, ok := parseContentRange(resp.Header.Get("Content-Range"))
		if !ok || start != offset {
			// Not the bytes we asked for: start over with a plain request on the next try.
			if err := restart(file, h); err != nil {
				return err
			}
			return fmt.Errorf("fetch: GET %s: answer for bytes from %d, asked from %d; starting over", url, start, offset)
		}
		if size > 0 {
			total = size
		} else if total == 0 {
			total = end + 1
		}
	case http.StatusOK:
		if err := restart(file, h); err != nil {
			return err
		}
		offset = 0
		if resp.ContentLength > 0 && total == 0 {
			total = resp.ContentLength
		}
	case http.StatusRequestedRangeNotSatisfiable:
		if a.Size > 0 && offset == a.Size {
			return nil // complete already; the caller checks the sum
		}
		if err := restart(file, h); err != nil {
			return err
		}
		return fmt.Errorf("fetch: GET %s: %s; starting over", url, resp.Status)
	default:
		return &fatalError{fmt.Errorf("fetch: GET %s: %s", url, resp.Status)}
	}
	if _, err := file.Seek(offset, io.SeekStart); err != nil {
		return &fatalError{fmt.Errorf("fetch: %w", err)}
	}
	limit := int64(maxDownload)
	if total > 0 {
		limit = total
	}
	w := &progressWriter{w: io.MultiWriter(file, h.sum), name: a.Name(), done: offset, total: total, fn: f.Progress}
	n, err := io.Copy(w, io.LimitReader(&stallReader{r: resp.Body, timer: timer, d: stall}, limit-offset+1))
	if err != nil {
		err = stalled(err)
	}
	h.n = offset + n
	if err == nil && h.n > limit {
		return &fatalError{fmt.Errorf("fetch: GET %s: %w of %d bytes", url, errOversize, limit)}
	}
	if serr := file.Sync(); err == nil && serr != nil {
		err = &fatalError{serr}
	}
	if err != nil {
		return fmt.Errorf("fetch: downloading %s: %w", url, err)
	}
	if total > 0 && h.n < total {
		return fmt.Errorf("fetch: downloading %s: the connection closed after %d of %d bytes", url, h.n, total)
	}
	return nil
}

// restart empties the part file and the hash.
func restart(file *os.File, h *hashState) error {
	if err := file.Truncate(0); err != nil {
		return &fatalError{fmt.Errorf("fetch: %w", err)}
	}
	h.sum.Reset()
	h.n = 0
	return nil
}

// parseContentRange parses "bytes START-END/SIZE" (SIZE may be "*", given as 0).
func parseContentRange(s string) (start, end, size int64, ok bool) {
	rest, found := strings.CutPrefix(s, "bytes ")
	if !found {
		return 0, 0, 0, false
	}
	rng, sz, found := strings.Cut(rest, "/")
	if !found {
		return 0, 0, 0, false
	}
	a, b, found := strings.Cut(rng, "-")
	if !found {
		return 0, 0, 0, false
	}
	var err1, err2, err3 error
	start, err1 = strconv.ParseInt(a, 10, 64)
	end, err2 = strconv.ParseInt(b, 10, 64)
	if sz != "*" {
		size, err3 = strconv.ParseInt(sz, 10, 64)
	}
	if err1 != nil || err2 != nil || err3 != nil || start < 0 || end < start || size < 0 || sz != "*" && end >= size {
		return 0, 0, 0, false
	}
	return start, end, size, true
}

type progressWriter struct {
	w           io.Writer
	name        string
	done, total int64
	fn          func(string, int64, int64)
}

func (p *progressWriter) Write(b []byte) (int, error) {
	n, err := p.w.Write(b)
	p.done += int64(n)
	if p.fn != nil {
		p.fn(p.name, p.done, p.total)
	}
	return n, err
}

// syncDir makes a rename in dir durable where the system can sync a folder (Windows and some FUSE
// file systems cannot, and journal the rename themselves). The .part file cannot go through
// atomicfile, since it must survive an interruption to be resumed; once complete it is synced and
// renamed the same way.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
