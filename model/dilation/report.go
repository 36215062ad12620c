package dilation

// Group is the effective dilation of one layer's units of one kind: JSON
// keys as `dcn dilation --json` prints them.
type Group struct {
	// Group names it: "scale 0.5 digit", "large object", ...
	Group string `json:"group"`
	// On is where the units' centres lie: "digit" or "background"
	// (Scaled-MNIST), "object" or "context" (COCO crops).
	On string `json:"on"`
	// Scale is the Scaled-MNIST test scale; Size COCO's size class of the
	// object's original box ("small", "medium", "large").
	Scale float64 `json:"scale,omitempty"`
	Size  string  `json:"size,omitempty"`
	// Mean and Std are over the units, in pixels of the layer's input.
	Mean  float64 `json:"mean"`
	Std   float64 `json:"std"`
	Units int     `json:"units"`
}

// Layer is one layer of one model.
type Layer struct {
	Model      string  `json:"model"`
	Layer      string  `json:"layer"`
	Deformable bool    `json:"deformable"`
	Epoch      int     `json:"epoch"`
	Groups     []Group `json:"groups"`
}

// Report is the effective dilation of a run's models.
type Report struct {
	Run  string `json:"run"`
	Data string `json:"data"`
	// Images counts the images measured: per scale for Scaled-MNIST, test
	// crops for COCO.
	Images int     `json:"images"`
	Layers []Layer `json:"layers"`
}

// UnitMeasure is what the views say of one unit's offsets at one
// deformable layer (the Offsets view's caption and `dcn offsets --json`);
// model/inspect's MeasureUnit fills it.
type UnitMeasure struct {
	// Mean and Max are the unit's |Δp| over its taps (and groups), in the
	// layer's input-map pixels.
	Mean, Max float64
	// MapPx is how many of the net's input pixels one input-map pixel of
	// the layer spans; a view multiplies by its input's pixels per photo
	// pixel to speak in the photo's.
	MapPx float64
	// Dilation is the unit's effective dilation (Unit).
	Dilation float64
	// LayerMean is the layer's mean |Δp| over every unit and tap of the
	// image, in input-map pixels.
	LayerMean float64
	// LayerMax is the layer's largest |Δp| over the image.
	LayerMax float64
}
