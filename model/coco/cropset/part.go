package cropset

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"math"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/deformscope/deformscope/internal/atomicfile"
	"github.com/deformscope/deformscope/internal/safeopen"
	"github.com/deformscope/deformscope/model/coco"
)

// A build in progress is two files beside the cache: PATH.part, the cache's prefix and every crop's
// place (made at full length, so that workers write each image's crops where they belong, in any
// order), and PATH.part.log, the journal of finished images:
//
//	header   "DSCOCLG2", key (32 bytes), image count uint64, crop count uint64
//	records  image index uint32, code uint8 (0: cropped, else 1 + the index of its skip
//	         reason in coco.Reasons), CRC-32C of the record's first 5 bytes and the key
//
// Records reach the journal only after the crops they vouch for were synced to PATH.part, every
// couple of seconds, so that a build killed at any moment (even by a power cut) resumes with the
// images it had finished and decodes only the others. A partial file from other inputs or options
// starts over, and so does a journal with any record that fails its CRC, names an image out of
// range or a code out of range, or names an image twice: the whole journal is checked before
// anything is taken from it, so a bad record never marks an image done whose crops were never
// written (they would stay black). A torn last record (shorter than a record) is what a kill
// leaves, and is dropped.
const (
	logMagic     = "DSCOCLG2"
	logHeaderLen = 8 + 32 + 8 + 8
	logRecLen    = 9
	flushEvery   = 2 * time.Second
)

type partFile struct {
	key    [32]byte
	f, log *os.File
	done   []bool
	failed []uint8 // per image: 0, or 1 + the index of its skip reason

	mu        sync.Mutex
	pending   []byte
	lastFlush time.Time
	firstErr  error
}

// reasonCode returns 1 + the index of reason in coco.Reasons.
func reasonCode(reason string) uint8 {
	return uint8(slices.Index(coco.Reasons(), reason) + 1)
}

// openPart opens (to resume) or creates the partial cache at path for images jobs and the crops pre
// describes.
func openPart(path string, pre prefix, jobs int) (*partFile, error) {
	sample := int64(3 * pre.size * pre.size)
	full := prefixLen + pre.count*sample
	var lh [logHeaderLen]byte
	copy(lh[:], logMagic)
	copy(lh[8:40], pre.key[:])
	binary.LittleEndian.PutUint64(lh[40:], uint64(jobs))
	binary.LittleEndian.PutUint64(lh[48:], uint64(pre.count))

	pf := &partFile{key: pre.key, done: make([]bool, jobs), failed: make([]uint8, jobs), lastFlush: time.Now()}
	if p, err := resume(path, pre, full, lh[:], pf); err == nil {
		return p, nil
	}
	// Starting over: the journal must be ours (or absent) before anything is truncated. PATH.part
	// itself was checked by the caller (isCropFile).
	if err := isJournal(path + ".log"); err != nil {
		return nil, err
	}
	f, err := atomicfile.OpenDest(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if errors.Is(err, atomicfile.ErrNotRegularDest) {
		return nil, fmt.Errorf("cropset: crop cache: %w", err)
	}
	if err != nil {
		return nil, fmt.Errorf("cropset: crop cache: %w: %w", errNotWritable, err)
	}
	if err := f.Truncate(full); err != nil {
		f.Close()
		return nil, fmt.Errorf("cropset: crop cache %s: %w", path, err)
	}
	if _, err := f.WriteAt(pre.bytes(), 0); err != nil {
		f.Close()
		return nil, fmt.Errorf("cropset: crop cache %s: %w", path, err)
	}
	log, err := atomicfile.OpenDest(path+".log", os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("cropset: crop cache: %w", err)
	}
	if _, err := log.Write(lh[:]); err != nil {
		f.Close()
		log.Close()
		return nil, fmt.Errorf("cropset: crop cache %s: %w", path, err)
	}
	pf.f, pf.log = f, log
	return pf, nil
}

// resume opens the partial files at path if they were made for the same prefix and journal header,
// checks every record of the journal, and only when all are good takes them into pf. A torn last
// record is dropped.
func resume(path string, pre prefix, full int64, lh []byte, pf *partFile) (*partFile, error) {
	f, err := atomicfile.OpenDest(path, os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			f.Close()
		}
	}()
	st, err := f.Stat()
	if err != nil || st.Size() != full {
		return nil, errors.New("partial file of another length")
	}
	b := make([]byte, prefixLen)
	if _, err := f.ReadAt(b, 0); err != nil || !bytes.Equal(b, pre.bytes()) {
		return nil, errors.New("partial file of other inputs")
	}
	log, err := atomicfile.OpenDest(path+".log", os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	defer func() {
		if !ok {
			log.Close()
		}
	}()
	lst, err := log.Stat()
	if err != nil {
		return nil, err
	}
	// A journal holds at most a record per image (and a torn one).
	if lst.Size() > int64(logHeaderLen)+int64(len(pf.done)+1)*logRecLen {
		return nil, errors.New("journal longer than its images")
	}
	body, err := io.ReadAll(log)
	if err != nil || len(body) < logHeaderLen || !bytes.Equal(body[:logHeaderLen], lh) {
		return nil, errors.New("journal of other inputs")
	}
	recs := body[logHeaderLen:]
	recs = recs[:len(recs)/logRecLen*logRecLen]
	done, failed, err := parseJournal(recs, pre.key, len(pf.done))
	if err != nil {
		return nil, err
	}
	// Drop a torn record so that the next ones line up.
	if _, err := log.Seek(int64(logHeaderLen+len(recs)), io.SeekStart); err != nil {
		return nil, err
	}
	if err := log.Truncate(int64(logHeaderLen + len(recs))); err != nil {
		return nil, err
	}
	ok = true
	pf.done, pf.failed = done, failed
	pf.f, pf.log = f, log
	return pf, nil
}

// parseJournal checks every whole record in recs and returns, only if all are good, which of jobs
// images are done and how each failed. Nothing is returned from a journal with a bad record: the
// caller starts over.
func parseJournal(recs []byte, key [32]byte, jobs int) (done []bool, failed []uint8, err error) {
	done, failed = make([]bool, jobs), make([]uint8, jobs)
	nreasons := len(coco.Reasons())
	for r := 0; r+logRecLen <= len(recs); r += logRecLen {
		rec := recs[r : r+logRecLen]
		if binary.LittleEndian.Uint32(rec[5:]) != recordCRC(rec[:5], key) {
			return nil, nil, fmt.Errorf("journal record %d fails its CRC", r/logRecLen)
		}
		i := binary.LittleEndian.Uint32(rec)
		code := rec[4]
		if int64(i) >= int64(jobs) || int(code) > nreasons {
			return nil, nil, fmt.Errorf("journal record %d out of range (image %d of %d, code %d)", r/logRecLen, i, jobs, code)
		}
		if done[i] {
			return nil, nil, fmt.Errorf("journal record %d names image %d again", r/logRecLen, i)
		}
		done[i], failed[i] = true, code
	}
	return done, failed, nil
}

// recordCRC is the CRC-32C of a journal record's first 5 bytes followed by the cache's key, so that
// a record copied from another build's journal, or random bytes, fail it.
func recordCRC(rec []byte, key [32]byte) uint32 {
	return crc32.Update(crc32.Checksum(rec, crcTable), crcTable, key[:])
}

// isJournal returns nil when path is absent, or a file that a build's journal left (empty, or
// starting with a journal's magic); it refuses anything else, so that starting over never truncates
// a user's file.
func isJournal(path string) error {
	f, err := safeopen.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		if _, lerr := os.Lstat(path); lerr == nil {
			return fmt.Errorf("cropset: crop cache: %s is a symbolic link to nothing: refusing to write through it", path)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("cropset: crop cache: %w", err)
	}
	defer f.Close()
	var m [8]byte
	n, _ := io.ReadFull(f, m[:])
	if n == 0 || string(m[:n]) == logMagic[:n] || string(m[:n]) == "DSCOCLOG"[:n] {
		return nil
	}
	return fmt.Errorf("cropset: crop cache: %s exists and is not a crop build's journal: refusing to overwrite it "+
		"(name another cache or remove it)", path)
}

// record notes that image i is done (code 0) or skipped (code), and flushes the journal every
// flushEvery.
func (p *partFile) record(i int, code uint8) {
	p.mu.Lock()
	defer p.mu.Unlock()
	at := len(p.pending)
	p.pending = binary.LittleEndian.AppendUint32(p.pending, uint32(i))
	p.pending = append(p.pending, code)
	p.pending = binary.LittleEndian.AppendUint32(p.pending, recordCRC(p.pending[at:at+5], p.key))
	if time.Since(p.lastFlush) >= flushEvery {
		p.flushLocked()
	}
}

func (p *partFile) flush() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.flushLocked()
	return p.firstErr
}

// flushLocked syncs the crops written so far and only then journals the images they belong to.
func (p *partFile) flushLocked() {
	p.lastFlush = time.Now()
	if len(p.pending) == 0 || p.firstErr != nil {
		return
	}
	if err := p.f.Sync(); err != nil {
		p.firstErr = fmt.Errorf("cropset: crop cache: %w", err)
		return
	}
	if _, err := p.log.Write(p.pending); err != nil {
		p.firstErr = fmt.Errorf("cropset: crop cache journal: %w", err)
		return
	}
	p.pending = p.pending[:0]
}

func (p *partFile) fail(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.firstErr == nil {
		p.firstErr = fmt.Errorf("cropset: crop cache: %w", err)
	}
}

func (p *partFile) err() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.firstErr
}

func (p *partFile) close() {
	if p.f != nil {
		p.f.Close()
	}
	if p.log != nil {
		p.log.Close()
	}
}

// finish closes the gaps that skipped images left (moving later crops forward, in order), counts
// what was made and skipped, measures the training crops' pixels and the blocks' CRCs in one pass,
// and writes the trailer. The file is then complete but still named PATH.part.
func (p *partFile) finish(pl *plan, size int) (*Crops, error) {
	sample := int64(3 * size * size)
	c := &Crops{Classes: pl.names, CategoryIDs: pl.cats, size: size}
	made := make([][]int, len(pl.indexes))
	for f := range made {
		made[f] = make([]int, len(pl.cats))
	}
	reasons := coco.Reasons()
	var buf []byte
	w := int64(0)
	for i, j := range pl.jobs {
		if code := p.failed[i]; code != 0 {
			x := pl.indexes[j.file]
			x.Skipped.Images[reasons[code-1]]++
			x.Skipped.Annotations[coco.ReasonImageSkipped] += len(j.anns)
			continue
		}
		n := int64(len(j.anns))
		if w != int64(j.slot) {
			// Moved forward (w < slot) a chunk at a time, in order, so the copy never overwrites
			// what it has yet to read and never holds more than chunkCrops crops.
			for lo := int64(0); lo < n; lo += chunkCrops {
				k := min(n-lo, chunkCrops)
				buf = slices.Grow(buf[:0], int(k*sample))[:k*sample]
				if _, err := p.f.ReadAt(buf, prefixLen+(int64(j.slot)+lo)*sample); err != nil {
					return nil, fmt.Errorf("cropset: crop cache: %w", err)
				}
				if _, err := p.f.WriteAt(buf, prefixLen+(w+lo)*sample); err != nil {
					return nil, fmt.Errorf("cropset: crop cache: %w", err)
				}
			}
		}
		for _, a := range j.anns {
			cl := pl.class[a.CategoryID]
			c.labels[j.split] = append(c.labels[j.split], uint8(cl))
			c.Refs[j.split] = append(c.Refs[j.split], Ref{ImageID: j.image.ID, AnnotationID: a.ID})
			made[j.file][cl]++
		}
		c.counts[j.split] += len(j.anns)
		w += n
	}
	for f, x := range pl.indexes {
		// Kept counts the crops made: boxes on images that failed to decode count as skipped.
		c.Reports = append(c.Reports, x.ReportClasses(pl.cats, pl.names, made[f]))
	}
	payload := w * sample
	if err := p.f.Truncate(prefixLen + payload); err != nil {
		return nil, fmt.Errorf("cropset: crop cache: %w", err)
	}
	pre := prefix{key: p.key, size: size, count: w}
	if _, err := p.f.WriteAt(pre.bytes(), 0); err != nil {
		return nil, fmt.Errorf("cropset: crop cache: %w", err)
	}
	crcs, hist, err := scan(p.f, payload, int64(c.counts[Train])*sample, size)
	if err != nil {
		return nil, err
	}
	c.Mean, c.Std = stats(hist)
	t, err := trailer(c, size, c.labels, crcs)
	if err != nil {
		return nil, err
	}
	if _, err := p.f.WriteAt(t, prefixLen+payload); err != nil {
		return nil, fmt.Errorf("cropset: crop cache: %w", err)
	}
	if err := p.f.Sync(); err != nil {
		return nil, fmt.Errorf("cropset: crop cache: %w", err)
	}
	return c, nil
}

// scan reads the payload once: the CRC-32C of each block, and the histogram per channel of the
// first trainBytes (the training crops).
func scan(f io.ReaderAt, payload, trainBytes int64, size int) ([]uint32, [3][256]int64, error) {
	var hist [3][256]int64
	plane := int64(size * size)
	sample := 3 * plane
	crcs := make([]uint32, 0, (payload+blockSize-1)/blockSize)
	buf := make([]byte, blockSize)
	for off := int64(0); off < payload; off += blockSize {
		b := buf[:min(blockSize, payload-off)]
		if _, err := f.ReadAt(b, prefixLen+off); err != nil {
			return nil, hist, fmt.Errorf("cropset: crop cache: reading back: %w", err)
		}
		crcs = append(crcs, crc32.Checksum(b, crcTable))
		for k := int64(0); k < int64(len(b)) && off+k < trainBytes; {
			at := off + k
			ch := (at % sample) / plane
			run := min(plane-at%plane, int64(len(b))-k, trainBytes-at)
			h := &hist[ch]
			for _, v := range b[k : k+run] {
				h[v]++
			}
			k += run
		}
	}
	return crcs, hist, nil
}

// stats returns the per-channel mean and standard deviation of pixels scaled to [0, 1] from their
// histograms; an empty set, or a channel with no spread, gets ImageNet's values for it.
func stats(hist [3][256]int64) (mean, std [3]float32) {
	for ch := range 3 {
		var n, sum, sq float64
		for v, k := range hist[ch] {
			x := float64(v) / 255
			n += float64(k)
			sum += float64(k) * x
			sq += float64(k) * x * x
		}
		mean[ch], std[ch] = ImageNetMean[ch], ImageNetStd[ch]
		if n > 0 {
			m := sum / n
			if sd := math.Sqrt(max(sq/n-m*m, 0)); sd > 1e-3 {
				mean[ch], std[ch] = float32(m), float32(sd)
			}
		}
	}
	return mean, std
}

// syncDir makes a rename in dir durable; where folders cannot be synced it does nothing.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
