//go:build man

package main

// Built only with -tags man (make man): the Markdown and roff writers
// (cobra/doc, blackfriday) cost every other fleetq process 0.8 ms of
// package init, for pages a packager builds once.

import (
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
	"github.com/spf13/pflag"
)

type generateOptions struct {
	manDir      string
	markdownDir string
}

func (o *generateOptions) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.manDir, "man", "", "write one man page per command (fleetq.1, fleetq-query.1, …) into `DIR`")
	fs.StringVar(&o.markdownDir, "markdown", "", "write one Markdown page per command into `DIR`")
}

func (o *generateOptions) Validate() error {
	if o.manDir == "" && o.markdownDir == "" {
		return &usageError{"generate: nothing to do (expected --man DIR or --markdown DIR)"}
	}
	return nil
}

func newGenerateCommand(a *app) *cobra.Command {
	o := &generateOptions{}
	cmd := &cobra.Command{
		Use:   "generate --man DIR | --markdown DIR",
		Short: "Write man pages or Markdown reference pages for every command",
		Long: `Write the reference documentation of every command, generated from the
same command tree as --help, so the two never disagree: man pages
(section 1) with --man, Markdown with --markdown. The directory is created
when missing; existing pages of the same names are replaced.
'make man' builds fleetq with -tags man and writes the man pages into man/;
'make install' installs them. A plain build of fleetq has no generate.

Examples:
  fleetq generate --man man/
  man -l man/fleetq-query.1
  fleetq generate --markdown docs/reference/

` + exitCodesHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runGenerate(cmd.Root(), *o)
		},
	}
	a.bind(cmd, o)
	return cmd
}

func runGenerate(root *cobra.Command, o generateOptions) error {
	root.DisableAutoGenTag = true // no date in the pages: the same tree gives the same bytes
	if o.manDir != "" {
		if err := os.MkdirAll(o.manDir, 0o755); err != nil {
			return err
		}
		bi := readBuildInfo()
		hdr := &doc.GenManHeader{Title: "FLEETQ", Section: "1", Source: "fleetq " + bi.Version, Manual: "fleetq manual"}
		if t, err := time.Parse(time.RFC3339, bi.Committed); err == nil {
			hdr.Date = &t // the commit's date, not today's: same source, same pages
		}
		if err := doc.GenManTree(root, hdr, o.manDir); err != nil {
			return fmt.Errorf("man pages: %w", err)
		}
	}
	if o.markdownDir != "" {
		if err := os.MkdirAll(o.markdownDir, 0o755); err != nil {
			return err
		}
		if err := doc.GenMarkdownTree(root, o.markdownDir); err != nil {
			return fmt.Errorf("markdown pages: %w", err)
		}
	}
	return nil
}

// extraCommands are the commands of a -tags man build.
func extraCommands(a *app) []*cobra.Command { return []*cobra.Command{newGenerateCommand(a)} }
