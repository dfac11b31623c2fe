package main

// This file is a placeholder until the simulate command is built; replace it with simulate.go.

func simulateCommand() command { return notYet("simulate", "向 Kafka 发布一个模拟省份一年的负担事件") }
