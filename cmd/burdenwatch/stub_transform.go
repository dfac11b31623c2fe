package main

// This file is a placeholder until the transform command is built; replace it with transform.go.

func transformCommand() command {
	return notYet("transform", "计算负担指标和规则检查结果")
}
