package app

import (
	"testing"

	"fyne.io/fyne/v2/test"
)

// TestTakeStopHook checks that Run takes both of the lifecycle's stop
// functions, so Fyne queues nothing when its loop ends (see takeStopHook),
// and that the function it returns runs both, the app's first. The test
// app's lifecycle is the type the desktop driver's app uses
// (internal/app.Lifecycle); if a Fyne release drops the setter, the
// assertion below fails and says so.
func TestTakeStopHook(t *testing.T) {
	a := test.NewTempApp(t)
	lc, ok := a.Lifecycle().(interface {
		OnStopped() func()
		SetOnStoppedHookExecuted(func())
	})
	if !ok {
		t.Fatalf("the lifecycle %T has no SetOnStoppedHookExecuted: takeStopHook leaves Fyne's exit hang in place", a.Lifecycle())
	}
	var order []string
	a.Lifecycle().SetOnStopped(func() { order = append(order, "app") })
	lc.SetOnStoppedHookExecuted(func() { order = append(order, "fyne") })

	hook := takeStopHook(a)
	if lc.OnStopped() != nil {
		t.Fatal("after takeStopHook the lifecycle still has a stop function: Fyne would queue it at exit")
	}
	if hook == nil {
		t.Fatal("takeStopHook returned no function: the stop functions would not run")
	}
	hook()
	if len(order) != 2 || order[0] != "app" || order[1] != "fyne" {
		t.Errorf("the returned function ran %v, want [app fyne]", order)
	}

	// With nothing to take, there is nothing to run.
	if hook := takeStopHook(a); hook != nil {
		t.Error("a second takeStopHook returned a function")
	}
}
