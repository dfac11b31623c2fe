package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/burdenwatch/burdenwatch/broker"
	"github.com/burdenwatch/burdenwatch/config"
)

func brokerCommand() command {
	return command{
		name:    "broker",
		summary: "在本机运行内置的单节点 Kafka 协议服务器（仅供开发和测试）",
		flags: func(fs *flag.FlagSet, c *config.Config) {
			fs.StringVar(&c.Listen, "listen", c.Listen, "监听地址 host:port")
			fs.StringVar(&c.Topic, "topic", c.Topic, "启动时创建的事件主题")
			fs.StringVar(&c.BrokerDataDir, "data-dir", c.BrokerDataDir, "数据目录（主题、消息和消费位点在重启后保留）；为空则只在内存中")
			fs.IntVar(&c.Partitions, "partitions", c.Partitions, "主题分区数")
			fs.DurationVar(&c.Retention, "retention", c.Retention, "消息保留时长")
			fs.Int64Var(&c.RetentionBytes, "retention-bytes", c.RetentionBytes, "每个分区保留的最大字节数")
		},
		run: func(ctx context.Context, e *env, _ []string) error {
			b, err := broker.Start(broker.Config{
				Listen: e.cfg.Listen, DataDir: e.cfg.BrokerDataDir, Topic: e.cfg.Topic,
				Partitions: int32(e.cfg.Partitions), Retention: e.cfg.Retention, RetentionBytes: e.cfg.RetentionBytes,
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "Kafka 协议服务器已启动: %s（主题 %s）\n", b.Addr(), e.cfg.Topic)
			e.log.Info("broker listening", "addr", b.Addr(), "topic", e.cfg.Topic, "data_dir", e.cfg.BrokerDataDir)
			<-ctx.Done()
			b.Close()
			e.log.Info("broker stopped")
			return nil
		},
	}
}
