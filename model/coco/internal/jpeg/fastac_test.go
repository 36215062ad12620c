package jpeg

import (
	"bytes"
	"image"
	stdjpeg "image/jpeg"
	"math/rand/v2"
	"reflect"
	"testing"
)

// TestFastACMatchesLookup builds random AC Huffman tables through processDHT and checks every
// fastBits-bit sequence: where fastAC has an entry, lookupHuffman then extendBuffered take the same
// run, the same number of bits and the same value; where it has none, they do not fit in fastBits
// bits or the code's size is 0 (or the code is not in lut).
func TestFastACMatchesLookup(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 13))
	fast := 0
	for range 200 {
		// Code counts by length that the Kraft sum allows, one code left over at each length.
		var counts [16]int
		avail, total := 2, 0
		for l := range 16 {
			c := rng.IntN(avail)
			if total+c > 160 {
				c = 160 - total
			}
			counts[l], total, avail = c, total+c, 2*(avail-c)
		}
		if total == 0 {
			continue
		}
		vals := rng.Perm(256)[:total]
		payload := []byte{0x10}
		for _, c := range counts {
			payload = append(payload, byte(c))
		}
		for _, v := range vals {
			payload = append(payload, byte(v))
		}
		d := &decoder{r: bytes.NewReader(payload)}
		if err := d.processDHT(len(payload)); err != nil {
			t.Fatal(err)
		}
		h := &d.huff[1][0]
		for i := range uint64(1 << fastBits) {
			e := h.fastAC[i]
			d.bits.a, d.bits.n = i, fastBits
			value, found := d.lookupHuffman(h)
			if !found {
				if e != 0 {
					t.Fatalf("sequence %#x: fastAC %#x, lut has no code", i, e)
				}
				continue
			}
			run, size := uint32(value>>4), uint32(value&0x0f)
			l := uint32(fastBits - d.bits.n)
			if size == 0 || l+size > fastBits {
				if e != 0 {
					t.Fatalf("sequence %#x: fastAC %#x for a code of size %d after %d bits", i, e, size, l)
				}
				continue
			}
			ac, ok := d.extendBuffered(uint8(size))
			if !ok || e != fastACEntry(ac, run, l, size) {
				t.Fatalf("sequence %#x: fastAC %#x, lookup gives %#x", i, e, fastACEntry(ac, run, l, size))
			}
			fast++
		}
	}
	if fast == 0 {
		t.Fatal("no fastAC entry was checked")
	}
}

// TestFastACSameOnDamagedFiles decodes small photos (image/jpeg's encodings of random pixels at
// qualities 1 to 100, colour and grey) and thousands of damaged copies (cut short, bytes
// overwritten, bits flipped, DHT counts and symbols tampered with, markers and stuffed bytes
// written into the coded data), whole and in a random region, with fastAC and without it: the
// same image and the same error every time.
func TestFastACSameOnDamagedFiles(t *testing.T) {
	rng := rand.New(rand.NewPCG(77, 13))
	var seeds [][]byte
	for k, q := range []int{1, 30, 75, 90, 100} {
		w, h := 17+rng.IntN(60), 9+rng.IntN(60)
		var m image.Image
		if k%2 == 0 {
			c := image.NewRGBA(image.Rect(0, 0, w, h))
			for i := range c.Pix {
				c.Pix[i] = uint8(rng.IntN(256))
			}
			m = c
		} else {
			g := image.NewGray(image.Rect(0, 0, w, h))
			for i := range g.Pix {
				g.Pix[i] = uint8(rng.IntN(256))
			}
			m = g
		}
		var buf bytes.Buffer
		if err := stdjpeg.Encode(&buf, m, &stdjpeg.Options{Quality: q}); err != nil {
			t.Fatal(err)
		}
		seeds = append(seeds, buf.Bytes())
	}
	decode := func(b []byte, rects []image.Rectangle, fast bool) (image.Image, string) {
		noFastAC = !fast
		defer func() { noFastAC = false }()
		m, err := DecodeRegions(bytes.NewReader(b), rects)
		if err != nil {
			return m, err.Error()
		}
		return m, "<nil>"
	}
	decodes, accepted := 0, 0
	for _, orig := range seeds {
		for k := range 300 {
			b := orig
			if k > 0 {
				b = damage(rng, orig)
			}
			cfg, err := DecodeConfig(bytes.NewReader(b))
			if err != nil || cfg.Width == 0 || cfg.Height == 0 || cfg.Width*cfg.Height > 1<<20 {
				continue
			}
			x, y := rng.IntN(cfg.Width), rng.IntN(cfg.Height)
			for _, r := range []image.Rectangle{image.Rect(0, 0, cfg.Width, cfg.Height),
				image.Rect(x, y, x+1+rng.IntN(cfg.Width-x), y+1+rng.IntN(cfg.Height-y))} {
				rects := []image.Rectangle{r}
				want, werr := decode(b, rects, false)
				got, gerr := decode(b, rects, true)
				decodes++
				if gerr != werr {
					t.Fatalf("seed %d, copy %d, region %v: error %q with fastAC, %q without", len(b), k, r, gerr, werr)
				}
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("seed %d, copy %d, region %v: the images differ with and without fastAC", len(b), k, r)
				}
				if werr == "<nil>" {
					accepted++
				}
			}
		}
	}
	if accepted == 0 || accepted == decodes {
		t.Fatalf("%d decodes, %d accepted: the damage should leave some files whole and break others", decodes, accepted)
	}
	t.Logf("%d decodes, %d without an error", decodes, accepted)
}

// damage returns a copy of a JPEG file with one kind of damage (see TestFastACSameOnDamagedFiles).
func damage(rng *rand.Rand, orig []byte) []byte {
	b := bytes.Clone(orig)
	mid := func() int { return len(b)/3 + rng.IntN(len(b)*2/3-2) }
	switch rng.IntN(7) {
	case 0:
		b = b[:rng.IntN(len(b))]
	case 1:
		for range 1 + rng.IntN(4) {
			b[rng.IntN(len(b))] = uint8(rng.IntN(256))
		}
	case 2:
		for range 1 + rng.IntN(3) {
			b[mid()] ^= 1 << rng.IntN(8)
		}
	case 3, 4: // a DHT segment's code counts or symbols
		var dht [][2]int // payload offset and length
		for i := 2; i+4 < len(b) && b[i] == 0xff && b[i+1] != 0xda; {
			l := int(b[i+2])<<8 | int(b[i+3])
			if b[i+1] == 0xc4 {
				dht = append(dht, [2]int{i + 4, l - 2})
			}
			i += 2 + l
		}
		if len(dht) == 0 {
			return b
		}
		d := dht[rng.IntN(len(dht))]
		for range 1 + rng.IntN(3) {
			o := d[0] + 17 + rng.IntN(max(1, d[1]-17)) // a symbol
			if rng.IntN(2) == 0 {
				o = d[0] + 1 + rng.IntN(8) // the count of a short code length
			}
			if o < len(b) {
				b[o] += uint8(1 + rng.IntN(255))
			}
		}
	case 5: // a marker in the coded data
		i := mid()
		b[i], b[i+1] = 0xff, []byte{0xd0, 0xd1, 0xd7, 0xd9, 0xc4, 0x01}[rng.IntN(6)]
	case 6: // a stuffed byte pair
		i := mid()
		b[i], b[i+1] = 0xff, 0x00
	}
	return b
}
