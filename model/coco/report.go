package coco

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
)

// Report sums up what a file gave: JSON keys as `dcn coco report --json` prints them.
type Report struct {
	// File is the instances file.
	File string `json:"-"`
	// Images and Annotations count the entries in the file, usable or not.
	Images      int `json:"images"`
	Annotations int `json:"annotations"`
	// Kept counts usable boxes (or crops made) per class name of the top K categories.
	Kept map[string]int `json:"kept"`
	// Skipped counts the entries left out, of every kind, by reason; boxes of other categories
	// count under ReasonNotTopK, and training boxes over a CropOptions.MaxPerClass cap under
	// ReasonClassCap (a crop set's counts).
	Skipped map[string]int `json:"skipped"`
	// Kinds holds the same counts per kind of entry.
	Kinds Skips `json:"-"`
	// Info counts notable but kept entries (InfoClipped).
	Info map[string]int `json:"-"`
}

// TopCategories returns the k categories with the most usable boxes, most first (ties go to the
// lower id). A category without boxes is never among them.
func (x *Index) TopCategories(k int) []Category {
	counts := map[int64]int{}
	for _, a := range x.Annotations {
		counts[a.CategoryID]++
	}
	cats := slices.Collect(maps.Keys(counts))
	slices.SortFunc(cats, func(a, b int64) int {
		if c := cmp.Compare(counts[b], counts[a]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	out := make([]Category, 0, min(k, len(cats)))
	for _, id := range cats[:min(k, len(cats))] {
		c, _ := x.Category(id)
		out = append(out, c)
	}
	return out
}

// ClassNames returns unique class names for cats.
func ClassNames(cats []Category) []string {
	seen := map[string]int{}
	for _, c := range cats {
		seen[c.Name]++
	}
	names := make([]string, len(cats))
	for i, c := range cats {
		names[i] = c.Name
		if seen[c.Name] > 1 || c.Name == "" {
			names[i] = fmt.Sprintf("%s (id %d)", c.Name, c.ID)
		}
	}
	return names
}

// Report sums up the index for the top k categories: usable boxes per category name, and everything
// skipped.
func (x *Index) Report(k int) Report {
	cats := x.TopCategories(k)
	ids := make([]int64, len(cats))
	for i, c := range cats {
		ids[i] = c.ID
	}
	return x.ReportClasses(ids, ClassNames(cats), nil)
}

// ReportClasses counts boxes of the classes ids (named names); made, if not nil, replaces the count
// of kept boxes per class with the number of crops made.
func (x *Index) ReportClasses(ids []int64, names []string, made []int) Report {
	r := Report{File: x.Name, Images: x.Entries.Images, Annotations: x.Entries.Annotations,
		Kept: map[string]int{}, Kinds: x.Skipped.clone(), Info: maps.Clone(x.Info)}
	class := map[int64]int{}
	for i, id := range ids {
		class[id] = i
		r.Kept[names[i]] = 0
	}
	other := 0
	for _, a := range x.Annotations {
		if c, ok := class[a.CategoryID]; ok {
			r.Kept[names[c]]++
		} else {
			other++
		}
	}
	if other > 0 {
		r.Kinds.Annotations[ReasonNotTopK] += other
	}
	if made != nil {
		for i, n := range made {
			r.Kept[names[i]] = n
		}
	}
	r.Skipped = r.Kinds.Total()
	return r
}
