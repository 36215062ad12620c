package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"

	"github.com/deformscope/deformscope/model/onnx"
	"github.com/deformscope/deformscope/model/rundir"
)

// exportONNX writes model m of run after epoch (0: the last) to the file
// out as an ONNX model.
func exportONNX(run *rundir.Run, m string, epoch int, out string, replace bool, stdout io.Writer) error {
	net, epoch, err := run.LoadModel(m, epoch)
	if err != nil {
		return err
	}
	if err := onnx.WriteFile(out, net, onnx.Info{Run: run.Dir, Model: m, Epoch: epoch}, replace); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%w (--replace replaces a file)", err)
		}
		return err
	}
	fmt.Fprintf(stdout, "wrote %s (%s, epoch %d) to %s: ONNX opset %d, input %s N×%d×%d×%d, output %s N×%d\n",
		m, net.Arch, epoch, out, onnx.Opset, onnx.InputName, net.InC, net.InH, net.InW, onnx.OutputName, net.Classes)
	return nil
}
