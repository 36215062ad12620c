package viz

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/deformscope/deformscope/internal/atomicfile"
)

// WriteCSV writes the data of series to path as CSV, so that a figure's
// numbers travel beside it: a header "series,x,y", then one row per point in
// series order, with the series' Name (or its Model if the name is empty). NaN
// is written as an empty field, other numbers in Go's shortest form (±Inf as
// +Inf and -Inf). The file is written atomically.
func WriteCSV(path string, series []Series) error {
	for i, s := range series {
		if len(s.X) != len(s.Y) {
			return fmt.Errorf("viz: write %s: series %d (%q) has %d x values and %d y values", path, i, s.Name, len(s.X), len(s.Y))
		}
	}
	err := atomicfile.Write(path, 0o644, func(w io.Writer) error {
		cw := csv.NewWriter(w)
		if err := cw.Write([]string{"series", "x", "y"}); err != nil {
			return err
		}
		for _, s := range series {
			name := s.Name
			if name == "" {
				name = s.Model
			}
			for i := range s.X {
				if err := cw.Write([]string{name, formatNum(s.X[i]), formatNum(s.Y[i])}); err != nil {
					return err
				}
			}
		}
		cw.Flush()
		return cw.Error()
	})
	if err != nil {
		return fmt.Errorf("viz: write %s: %w", path, err)
	}
	return nil
}

// formatNum formats v for CSV: empty for NaN.
func formatNum(v float64) string {
	if math.IsNaN(v) {
		return ""
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}
