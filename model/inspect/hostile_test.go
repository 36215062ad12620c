package inspect

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// pngHeader returns the start of a PNG file (signature and IHDR chunk) of
// the given size, bit depth and colour type: enough for image.DecodeConfig,
// so that a test can present a huge image in a few bytes.
func pngHeader(w, h uint32, depth, colorType byte) []byte {
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = depth, colorType
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	binary.Write(&b, binary.BigEndian, uint32(len(ihdr)))
	chunk := append([]byte("IHDR"), ihdr...)
	b.Write(chunk)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	return b.Bytes()
}

// TestReadImageCountsBytes is issue 17 item 15: a 7000×7000 16-bit PNG
// was within the pixel cap and decoded to 400 MB.
func TestReadImageCountsBytes(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name             string
		w, h             uint32
		depth, colorType byte
		want             string
	}{
		{"16-bit RGBA", 6000, 6000, 16, 6, "would take 274 MiB decoded (at most 200 MiB)"},
		{"8-bit RGBA", 6000, 6000, 8, 6, "EOF"}, // passes the checks; then the missing data fails
		{"too many pixels", 8000, 8000, 8, 0, "at most"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(dir, c.name+".png")
			os.WriteFile(p, pngHeader(c.w, c.h, c.depth, c.colorType), 0o644)
			_, err := ReadImage(p)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("ReadImage: %v, want an error with %q", err, c.want)
			}
		})
	}
}
