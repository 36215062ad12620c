package model

import "testing"

// BenchmarkCOCODeformLayers is dcnn-middle's and dcnn-last's deformable
// layers (their DeformBlocks' regular convolutions: conv3 32→64 and conv4
// 64→64 at 32×32, conv5 64→128 and conv6 128→128 at 16×16), forward and
// backward with ReLU and every gradient, on 32 crops of 64×64, each beside
// the cnn's plain layer of the same shape on the same input. Names are
// placement/conv/plain and placement/conv/deform; the deformable layer's
// GFLOP/s counts its plain GEMMs' work three times, as BenchmarkCOCOLayers.
func BenchmarkCOCODeformLayers(b *testing.B) {
	for _, place := range []Placement{PlaceMiddle, PlaceLast} {
		pairs, err := COCOLayerPairs(place, 32, 64)
		if err != nil {
			b.Fatal(err)
		}
		for _, p := range pairs {
			b.Run(string(place)+"/"+p.Plain.Name+"/plain", func(b *testing.B) {
				p.Plain.FwdBwd()
				cpuLoop(b, p.Plain.Flops(true), p.Plain.FwdBwd)
			})
			b.Run(string(place)+"/"+p.Deform.Name+"/deform", func(b *testing.B) {
				p.Deform.FwdBwd()
				cpuLoop(b, p.Plain.Flops(false)*3, p.Deform.FwdBwd)
			})
		}
	}
}
