package jpeg

import (
	"bytes"
	"math/rand/v2"
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
