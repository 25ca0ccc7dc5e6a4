// Command pbx is the PBX server: SIP registrar, B2BUA, media server, billing
// engine and admin web app in one binary.
package main

import (
	"fmt"
	"os"
	"runtime/debug"
	_ "time/tzdata" // the organisation's time zone works on a machine without zoneinfo

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	if os.Getenv("GOGC") == "" {
		// The live heap is small (bindings, caches); collecting less often
		// buys SIP throughput...
		debug.SetGCPercent(400)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		// ...but not at the price of memory: past this soft limit the
		// collector runs as often as it must.
		debug.SetMemoryLimit(1 << 30)
	}
	if err := rootCmd().Execute(); err != nil {
		os.Exit(1)
	}
}

func rootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "pbx",
		Short: "Self-hosted SIP PBX: registrar, B2BUA, media, billing and admin app in one binary",
		Long: `pbx is a self-hosted SIP PBX server.

Every setting has a default, so "pbx serve" alone runs: SIP on UDP and TCP
0.0.0.0:5060, the web app and REST API on 0.0.0.0:8080, data under ./data.
Settings come from the defaults, then the YAML file given with --config, then
PBX_* environment variables (see configs/pbx.example.yaml).`,
		SilenceUsage: true,
	}
	var configPath string
	root.PersistentFlags().StringVarP(&configPath, "config", "c", "", "YAML configuration file (optional)")
	root.AddCommand(
		&cobra.Command{
			Use:   "serve",
			Short: "Run the PBX until SIGINT or SIGTERM",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				return serve(cmd.Context(), configPath, os.Environ(), cmd.ErrOrStderr())
			},
		},
		&cobra.Command{
			Use:   "migrate",
			Short: "Create or update the database tables, then exit",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				return migrate(cmd.Context(), configPath, os.Environ(), cmd.ErrOrStderr())
			},
		},
		&cobra.Command{
			Use:   "config",
			Short: "Print the effective configuration (secrets hidden), then exit",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				return printConfig(configPath, os.Environ(), cmd.OutOrStdout())
			},
		},
		&cobra.Command{
			Use:   "version",
			Short: "Print the version",
			Args:  cobra.NoArgs,
			Run: func(cmd *cobra.Command, _ []string) {
				fmt.Fprintln(cmd.OutOrStdout(), "pbx", version)
			},
		},
	)
	return root
}
