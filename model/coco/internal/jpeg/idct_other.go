//go:build !amd64

package jpeg

// idctStore is idct(b) then storeBlock(b, dst, stride).
func idctStore(b *block, dst []byte, stride int) {
	idct(b)
	storeBlock(b, dst, stride)
}
