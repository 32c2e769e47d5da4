package app

import (
	"io"

	"github.com/spf13/cobra"
)

func newBrokerCmd(g *globalFlags, stderr io.Writer) *cobra.Command {
	var file string
	cmd := &cobra.Command{
		Use:   "broker --config FILE",
		Short: "Run only the embedded Kafka-protocol broker (kafka.embedded.listen, kafka.embedded.data_dir)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, cfg, err := g.load(stderr, file)
			if err != nil {
				return err
			}
			b, err := startEmbedded(cfg, log)
			if err != nil {
				return err
			}
			<-cmd.Context().Done()
			log.Info("broker stopping")
			b.Close()
			return nil
		},
	}
	cmd.Flags().StringVar(&file, "config", "", "config file (YAML)")
	_ = cmd.MarkFlagRequired("config")
	return cmd
}
