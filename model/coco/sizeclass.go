package coco

// SizeClass names COCO's object size of a box by its area, as COCO's evaluation does: "small" under
// 32² px, "medium" up to 96² px, "large" above.
func SizeClass(b Box) string {
	switch a := b.W * b.H; {
	case a < 32*32:
		return "small"
	case a < 96*96:
		return "medium"
	}
	return "large"
}
