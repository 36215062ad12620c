// Command dcn is Deformscope's command-line twin: it trains the plain and
// the deformable CNN, evaluates run folders and reproduces the course study,
// headless, with the same engine the app uses.
//
// Usage:
//
//	dcn train --data mnist --model both --epochs 3 --out runs/a
//	dcn train --resume runs/a
//	dcn eval --run runs/a --scales 0.5:1.5:0.1 --json
//	dcn reproduce mnist --out runs/seed
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `dcn: Deformscope on the command line

Commands:
  train       train the CNN and/or the DCNN, writing a run folder
  eval        evaluate the checkpoints of a run folder
  reproduce   run the course study's protocol and write its table
  coco        COCO data: report on an instances file, build the crop set, fetch the 2017 zips
  bench       every row of issue 23 against its anchor (PyTorch, ONNX Runtime, our plain layer and cnn)
  offsets     draw a unit's sampling locations over an image
  heatmap     draw a deformable layer's offset lengths and mask over an image
  dilation    measure the deformable layers' effective dilation (the paper's table 2)
  replay      write an animated GIF of a unit or heat map over the epochs (or a digit's scales)
  figure      draw the paper's three-panel figure (small digit, large digit, background)
  plot        write a run's curves and confusion matrices (PNG, SVG, PDF, CSV)
  predict     print a model's logits and class for test images or an image file
  import      make a run folder from a PyTorch state dict (.pt/.pth or safetensors)
  export      write a model as a PyTorch package (model.py, safetensors weights) or an ONNX file

Run "dcn COMMAND -h" for a command's flags.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run executes one dcn command and returns the process exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "train":
		err = cmdTrain(ctx, args[1:], stdout, stderr)
	case "eval":
		err = cmdEval(ctx, args[1:], stdout, stderr)
	case "reproduce":
		err = cmdReproduce(ctx, args[1:], stdout, stderr)
	case "coco":
		err = cmdCOCO(ctx, args[1:], stdout, stderr)
	case "bench":
		err = cmdBench(ctx, args[1:], stdout, stderr)
	case "offsets":
		err = cmdOffsets(ctx, args[1:], stdout, stderr)
	case "heatmap":
		err = cmdHeatmap(ctx, args[1:], stdout, stderr)
	case "dilation":
		err = cmdDilation(ctx, args[1:], stdout, stderr)
	case "replay":
		err = cmdReplay(ctx, args[1:], stdout, stderr)
	case "figure":
		err = cmdFigure(ctx, args[1:], stdout, stderr)
	case "plot":
		err = cmdPlot(ctx, args[1:], stdout, stderr)
	case "predict":
		err = cmdPredict(ctx, args[1:], stdout, stderr)
	case "import":
		err = cmdImport(ctx, args[1:], stdout, stderr)
	case "export":
		err = cmdExport(ctx, args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "dcn: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	if err != nil {
		if err == errUsage {
			return 2
		}
		fmt.Fprintf(stderr, "dcn %s: %v\n", args[0], err)
		return 1
	}
	return 0
}
