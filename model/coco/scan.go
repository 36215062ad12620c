package coco

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// scanner is a streaming JSON reader specialised for what Parse needs: it reads object keys,
// numbers and strings into a reusable scratch buffer, and skips every other value without building
// it, checking its syntax on the way (RFC 8259, as encoding/json accepts it). Reading a 270 MB
// instances file with encoding/json's Decoder, one Decode per element, takes about 3.3 s here; this
// scanner takes about a third of that, which the scale benchmark needs.
//
// It reads from r through its own buffer, so it never holds more than one buffer and one token in
// memory, whatever the size of the file or of a single value.
type scanner struct {
	r       io.Reader
	buf     []byte
	pos     int
	end     int
	base    int64 // offset in the input of buf[0]
	readErr error // sticky error from r (io.EOF included)
	scratch []byte
	long    bool // the last string kept was cut short at maxToken bytes
}

// maxDepth bounds the nesting of skipped values, so that a hostile file cannot exhaust the stack.
const maxDepth = 512

// maxToken bounds the bytes kept of one number or string; the rest of a longer token is checked and
// dropped.
const maxToken = 4096

const scanBufferSize = 256 << 10

// syntaxError is a fault in the JSON text at a byte offset.
type syntaxError struct {
	off int64
	msg string
}

func (e *syntaxError) Error() string { return fmt.Sprintf("byte %d: %s", e.off, e.msg) }

// readError is an I/O error from the underlying reader.
type readError struct {
	off int64
	err error
}

func (e *readError) Error() string { return fmt.Sprintf("reading at byte %d: %v", e.off, e.err) }
func (e *readError) Unwrap() error { return e.err }

func newScanner(r io.Reader) *scanner {
	return &scanner{r: r, buf: make([]byte, scanBufferSize), scratch: make([]byte, 0, 256)}
}

// offset returns the input offset of the next unread byte.
func (s *scanner) offset() int64 { return s.base + int64(s.pos) }

// fill refills an exhausted buffer; it reports whether a byte is available.
func (s *scanner) fill() bool {
	if s.pos < s.end {
		return true
	}
	if s.readErr != nil {
		return false
	}
	s.base += int64(s.end)
	s.pos, s.end = 0, 0
	for range 100 {
		n, err := s.r.Read(s.buf)
		s.end = n
		if err != nil {
			s.readErr = err
		}
		if n > 0 {
			return true
		}
		if err != nil {
			return false
		}
	}
	s.readErr = io.ErrNoProgress
	return false
}

// eofError reports the end of the input where more was needed, or the read error that ended it.
func (s *scanner) eofError(what string) error {
	if s.readErr != nil && !errors.Is(s.readErr, io.EOF) {
		return &readError{s.offset(), s.readErr}
	}
	return &syntaxError{s.offset(), "unexpected end of file in " + what + " (truncated file?)"}
}

func (s *scanner) errorf(format string, args ...any) error {
	return &syntaxError{s.offset(), fmt.Sprintf(format, args...)}
}

// peek skips white space and returns the next byte without consuming it; ok is false at the end of
// the input.
func (s *scanner) peek() (c byte, ok bool) {
	for {
		for s.pos < s.end {
			c = s.buf[s.pos]
			if c != ' ' && c != '\n' && c != '\r' && c != '\t' {
				return c, true
			}
			s.pos++
		}
		if !s.fill() {
			return 0, false
		}
	}
}

// next returns the next byte, white space included, and consumes it.
func (s *scanner) next(what string) (byte, error) {
	if !s.fill() {
		return 0, s.eofError(what)
	}
	c := s.buf[s.pos]
	s.pos++
	return c, nil
}

// expect consumes white space and then the byte want.
func (s *scanner) expect(want byte, what string) error {
	c, ok := s.peek()
	if !ok {
		return s.eofError(what)
	}
	if c != want {
		return s.errorf("%s: want %q, found %s", what, want, quoteByte(c))
	}
	s.pos++
	return nil
}

func quoteByte(c byte) string {
	if c >= 0x20 && c < 0x7f {
		return strconv.QuoteRune(rune(c))
	}
	return fmt.Sprintf("byte 0x%02x", c)
}

// more reads the separator after an element or member: it consumes ',' and reports true, or
// consumes close and reports false.
func (s *scanner) more(close byte, what string) (bool, error) {
	c, ok := s.peek()
	if !ok {
		return false, s.eofError(what)
	}
	s.pos++
	switch c {
	case ',':
		return true, nil
	case close:
		return false, nil
	}
	s.pos--
	return false, s.errorf("%s: want ',' or %q, found %s", what, close, quoteByte(c))
}

// openArray consumes '[' and reports whether the array has elements (false after consuming an
// immediate ']').
func (s *scanner) openArray(what string) (bool, error) {
	if err := s.expect('[', what); err != nil {
		return false, err
	}
	c, ok := s.peek()
	if !ok {
		return false, s.eofError(what)
	}
	if c == ']' {
		s.pos++
		return false, nil
	}
	return true, nil
}

// openObject consumes '{' and reports whether the object has members.
func (s *scanner) openObject(what string) (bool, error) {
	if err := s.expect('{', what); err != nil {
		return false, err
	}
	c, ok := s.peek()
	if !ok {
		return false, s.eofError(what)
	}
	if c == '}' {
		s.pos++
		return false, nil
	}
	return true, nil
}

// key reads an object key and the ':' after it. The returned bytes stay valid until the next read;
// a key longer than maxToken is cut short, which no key that Parse looks for is.
func (s *scanner) key(what string) ([]byte, error) {
	c, ok := s.peek()
	if !ok {
		return nil, s.eofError(what)
	}
	if c != '"' {
		return nil, s.errorf("%s: want a key string, found %s", what, quoteByte(c))
	}
	k, err := s.str(true)
	if err != nil {
		return nil, err
	}
	if s.long {
		k = nil // matches no key Parse looks for
	}
	return k, s.expect(':', what)
}

// str reads a string whose opening quote is next. With keep, it returns the unescaped bytes (up to
// maxToken of them), valid until the next read; invalid UTF-8 is passed through for the caller to
// judge.
func (s *scanner) str(keep bool) ([]byte, error) {
	s.pos++ // the opening quote, already peeked
	s.scratch, s.long = s.scratch[:0], false
	for {
		i := s.pos
		buf := s.buf[:s.end]
		for i < len(buf) {
			c := buf[i]
			if c == '"' || c == '\\' || c < 0x20 {
				break
			}
			i++
		}
		if keep {
			s.keep(buf[s.pos:i]...)
		}
		s.pos = i
		if i == len(buf) {
			if !s.fill() {
				return nil, s.eofError("string")
			}
			continue
		}
		c := buf[i]
		s.pos++
		switch {
		case c == '"':
			return s.scratch, nil
		case c < 0x20:
			s.pos--
			return nil, s.errorf("control character 0x%02x in a string", c)
		}
		if err := s.escape(keep); err != nil {
			return nil, err
		}
	}
}

func (s *scanner) keep(b ...byte) {
	room := maxToken - len(s.scratch)
	if len(b) > room {
		s.long = true
	}
	s.scratch = append(s.scratch, b[:max(0, min(len(b), room))]...)
}

// escape reads the rest of an escape sequence after its backslash. A UTF-16 surrogate that is not
// half of a pair becomes U+FFFD, as in encoding/json.
func (s *scanner) escape(keep bool) error {
	c, err := s.next("string escape")
	if err != nil {
		return err
	}
outer:
	for {
		if c != 'u' {
			return s.simpleEscape(c, keep)
		}
		r, err := s.hex4()
		if err != nil {
			return err
		}
		for 0xD800 <= r && r < 0xDC00 {
			if !s.fill() || s.buf[s.pos] != '\\' {
				s.emit(utf8.RuneError, keep)
				return nil
			}
			s.pos++
			if c, err = s.next("string escape"); err != nil {
				return err
			}
			if c != 'u' {
				s.emit(utf8.RuneError, keep)
				continue outer
			}
			r2, err := s.hex4()
			if err != nil {
				return err
			}
			if 0xDC00 <= r2 && r2 < 0xE000 {
				s.emit(utf16.DecodeRune(r, r2), keep)
				return nil
			}
			s.emit(utf8.RuneError, keep)
			r = r2
		}
		if utf16.IsSurrogate(r) {
			r = utf8.RuneError
		}
		s.emit(r, keep)
		return nil
	}
}

func (s *scanner) emit(r rune, keep bool) {
	if keep {
		var b [utf8.UTFMax]byte
		s.keep(b[:utf8.EncodeRune(b[:], r)]...)
	}
}

func (s *scanner) simpleEscape(c byte, keep bool) error {
	switch c {
	case '"', '\\', '/':
	case 'b':
		c = '\b'
	case 'f':
		c = '\f'
	case 'n':
		c = '\n'
	case 'r':
		c = '\r'
	case 't':
		c = '\t'
	default:
		return s.errorf("invalid escape %s in a string", quoteByte(c))
	}
	if keep {
		s.keep(c)
	}
	return nil
}

func (s *scanner) hex4() (rune, error) {
	var r rune
	for range 4 {
		c, err := s.next("\\u escape")
		if err != nil {
			return 0, err
		}
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			s.pos--
			return 0, s.errorf("invalid \\u escape in a string")
		}
		r = r<<4 | rune(c)
	}
	return r, nil
}

// number reads a number whose first byte is next. With keep, it returns its text (up to maxToken
// bytes, valid until the next read) and whether it was cut short.
func (s *scanner) number(keep bool) (text []byte, long bool, err error) {
	// Fast path: the whole number lies in the buffer, followed by a byte that cannot be part of it.
	buf := s.buf[s.pos:s.end]
	i := 0
	for i < len(buf) && numberByte[buf[i]] {
		i++
	}
	if i < len(buf) && i <= maxToken {
		if tok := buf[:i]; validNumber(tok) {
			s.pos += i
			return tok, false, nil
		}
	}
	return s.slowNumber(keep)
}

// numberByte marks the bytes that may appear in a JSON number.
var numberByte = func() (t [256]bool) {
	for _, c := range []byte("0123456789+-.eE") {
		t[c] = true
	}
	return t
}()

// validNumber reports whether b is exactly one JSON number.
func validNumber(b []byte) bool {
	i := 0
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && '1' <= b[i] && b[i] <= '9':
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
	default:
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		start := i
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
		if i == start {
			return false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		start := i
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
		if i == start {
			return false
		}
	}
	return i == len(b)
}

// slowNumber reads a number byte by byte, across buffer refills, with a state machine that stops at
// the first byte that cannot continue it.
func (s *scanner) slowNumber(keep bool) (text []byte, long bool, err error) {
	s.scratch = s.scratch[:0]
	const (
		start = iota
		minus
		zero
		intDigits
		dot
		fracDigits
		exp
		expSign
		expDigits
	)
	state := start
	n := 0
	for {
		if !s.fill() {
			break
		}
		c := s.buf[s.pos]
		ok := false
		switch state {
		case start:
			switch {
			case c == 'N':
				return s.word(nanText, nanText)
			case c == 'I':
				return s.word(infText, infText)
			case c == '-':
				state, ok = minus, true
			case c == '0':
				state, ok = zero, true
			case '1' <= c && c <= '9':
				state, ok = intDigits, true
			}
		case minus:
			switch {
			case c == 'I':
				return s.word(infText, negInfText)
			case c == '0':
				state, ok = zero, true
			case '1' <= c && c <= '9':
				state, ok = intDigits, true
			}
		case zero, intDigits:
			switch {
			case state == intDigits && '0' <= c && c <= '9':
				ok = true
			case c == '.':
				state, ok = dot, true
			case c == 'e' || c == 'E':
				state, ok = exp, true
			}
		case dot, fracDigits:
			switch {
			case '0' <= c && c <= '9':
				state, ok = fracDigits, true
			case state == fracDigits && (c == 'e' || c == 'E'):
				state, ok = exp, true
			}
		case exp:
			switch {
			case c == '+' || c == '-':
				state, ok = expSign, true
			case '0' <= c && c <= '9':
				state, ok = expDigits, true
			}
		case expSign, expDigits:
			if '0' <= c && c <= '9' {
				state, ok = expDigits, true
			}
		}
		if !ok {
			break
		}
		s.pos++
		if keep {
			if n < maxToken {
				s.scratch = append(s.scratch, c)
			} else {
				long = true
			}
		}
		n++
	}
	switch state {
	case zero, intDigits, fracDigits, expDigits:
		return s.scratch, long, nil
	}
	if !s.fill() {
		return nil, false, s.eofError("number")
	}
	return nil, false, s.errorf("malformed number")
}

// The tokens that Python's json module writes for non-finite floats (and reads back, as pycocotools
// does). JSON has none, but a file written by json.dump with its default allow_nan=True holds them
// wherever a number may be.
var (
	nanText    = []byte("NaN")
	infText    = []byte("Infinity")
	negInfText = []byte("-Infinity")
)

// word reads the token want, whose first byte is next, and returns text (a non-finite number's
// token).
func (s *scanner) word(want, text []byte) ([]byte, bool, error) {
	for i := range len(want) {
		c, err := s.next("number " + string(want))
		if err != nil {
			return nil, false, err
		}
		if c != want[i] {
			s.pos--
			return nil, false, s.errorf("malformed number, want %s", text)
		}
	}
	return text, false, nil
}

// literal reads true, false or null, whose first byte is next.
func (s *scanner) literal() (byte, error) {
	first := s.buf[s.pos]
	var want string
	switch first {
	case 't':
		want = "true"
	case 'f':
		want = "false"
	case 'n':
		want = "null"
	default:
		return 0, s.errorf("unexpected %s", quoteByte(first))
	}
	for i := range len(want) {
		c, err := s.next("literal " + want)
		if err != nil {
			return 0, err
		}
		if c != want[i] {
			s.pos--
			return 0, s.errorf("malformed literal, want %s", want)
		}
	}
	return first, nil
}

// skip reads and drops one value of any kind, checking its syntax.
func (s *scanner) skip() error { return s.skipDepth(0) }

func (s *scanner) skipDepth(depth int) error {
	c, ok := s.peek()
	if !ok {
		return s.eofError("value")
	}
	switch {
	case c == '"':
		_, err := s.str(false)
		return err
	case c == '-' || '0' <= c && c <= '9' || c == 'N' || c == 'I':
		_, _, err := s.number(false)
		return err
	case c == '[' || c == '{':
		if depth >= maxDepth {
			return s.errorf("values nested deeper than %d levels", maxDepth)
		}
		if c == '[' {
			return s.skipArray(depth)
		}
		return s.skipObject(depth)
	}
	_, err := s.literal()
	return err
}

func (s *scanner) skipArray(depth int) error {
	more, err := s.openArray("array")
	for more && err == nil {
		if err = s.skipDepth(depth + 1); err == nil {
			more, err = s.more(']', "array")
		}
	}
	return err
}

func (s *scanner) skipObject(depth int) error {
	more, err := s.openObject("object")
	for more && err == nil {
		if _, err = s.key("object"); err == nil {
			if err = s.skipDepth(depth + 1); err == nil {
				more, err = s.more('}', "object")
			}
		}
	}
	return err
}

// Kinds of value that float, integer and text report.
const (
	valOK        = iota
	valWrongKind // not of the kind wanted, or a string cut short (the value was skipped)
	valNotFinite // NaN, Infinity or -Infinity (Python's tokens), or a number too large for float64
	valNotInt    // a number with a fraction, or out of range for int64
)

// numberText reads a value that should be a number and returns its text (valid until the next
// read), or the kind of value found instead. A number too long to keep counts as not finite.
func (s *scanner) numberText() ([]byte, int, error) {
	c, ok := s.peek()
	if !ok {
		return nil, 0, s.eofError("value")
	}
	if c != '-' && (c < '0' || c > '9') && c != 'N' && c != 'I' {
		return nil, valWrongKind, s.skip()
	}
	text, long, err := s.number(true)
	if err != nil || long {
		return nil, valNotFinite, err
	}
	return text, valOK, nil
}

// float reads a value that should be a number.
func (s *scanner) float() (float64, int, error) {
	text, kind, err := s.numberText()
	if kind != valOK || err != nil {
		return 0, kind, err
	}
	v, kind := parseFloat(text)
	return v, kind, nil
}

// parseFloat parses the text of a valid JSON number.
func parseFloat(text []byte) (float64, int) {
	if v, ok := parseDecimal(text); ok {
		return v, valOK
	}
	v, err := strconv.ParseFloat(string(text), 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, valNotFinite
	}
	return v, valOK
}

// pow10 holds the powers of ten that float64 represents exactly.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
	1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// parseDecimal parses a valid JSON number without an exponent whose digits, read as an integer,
// stay below 2^53, the common case in COCO files (473.07), in one correctly rounded division, as
// strconv's exact path does. It reports false for anything else, which the caller hands to strconv.
func parseDecimal(b []byte) (float64, bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	var m uint64
	frac := -1
	for i, c := range b {
		switch {
		case '0' <= c && c <= '9':
			m = m*10 + uint64(c-'0')
			if m >= 1<<53 {
				return 0, false
			}
		case c == '.':
			frac = len(b) - i - 1
		default:
			return 0, false
		}
	}
	v := float64(m)
	if frac > 0 {
		if frac >= len(pow10) {
			return 0, false
		}
		v /= pow10[frac]
	}
	if neg {
		v = -v
	}
	return v, true
}

// integer reads a value that should be an integer; 640.0 and 6.4e2 count as integers, 640.5 does
// not.
func (s *scanner) integer() (int64, int, error) {
	text, kind, err := s.numberText()
	if kind != valOK || err != nil {
		return 0, kind, err
	}
	if v, ok := parseDigits(text); ok {
		return v, valOK, nil
	}
	f, kind := parseFloat(text)
	switch {
	case kind != valOK:
		return 0, kind, nil
	case f != math.Trunc(f) || math.Abs(f) > 1<<53:
		return 0, valNotInt, nil
	}
	return int64(f), valOK, nil
}

// parseDigits parses an optional minus and up to 18 decimal digits, the common case, without
// allocating.
func parseDigits(b []byte) (int64, bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var v int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	if neg {
		v = -v
	}
	return v, true
}

// text reads a value that should be a string; kind is valWrongKind (and the value skipped) if it is
// not.
func (s *scanner) text() ([]byte, int, error) {
	c, ok := s.peek()
	if !ok {
		return nil, 0, s.eofError("value")
	}
	if c != '"' {
		return nil, valWrongKind, s.skip()
	}
	b, err := s.str(true)
	if s.long {
		return nil, valWrongKind, err
	}
	return b, valOK, err
}

// finish checks that nothing but white space follows the top-level value.
func (s *scanner) finish() error {
	if c, ok := s.peek(); ok {
		return s.errorf("unexpected %s after the top-level object", quoteByte(c))
	}
	if s.readErr != nil && !errors.Is(s.readErr, io.EOF) {
		return &readError{s.offset(), s.readErr}
	}
	return nil
}
