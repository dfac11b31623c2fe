package main

import (
	"context"
	"errors"
	"flag"

	"github.com/burdenwatch/burdenwatch/config"
)

// notYet is a command that is not built yet; it fails when run.
func notYet(name, summary string) command {
	return command{name: name, summary: summary, flags: func(*flag.FlagSet, *config.Config) {},
		run: func(context.Context, *env, []string) error { return errors.New("not built yet") }}
}
