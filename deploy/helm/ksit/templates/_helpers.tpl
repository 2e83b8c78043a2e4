{{- define "ksit.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "ksit.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "ksit.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "ksit.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: ksit
{{- end -}}

{{- define "ksit.selectorLabels" -}}
app.kubernetes.io/name: {{ include "ksit.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "ksit.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "ksit.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "ksit.leaderElect" -}}
{{- if or (gt (int .Values.replicaCount) 1) .Values.leaderElection.enabled -}}true{{- end -}}
{{- end -}}

{{- define "ksit.sharding" -}}
{{- if and (gt (int .Values.replicaCount) 1) .Values.sharding.enabled -}}true{{- end -}}
{{- end -}}

{{- define "ksit.leaseName" -}}
{{- default (printf "%s-leader" (include "ksit.fullname" .)) .Values.leaderElection.leaseName -}}
{{- end -}}

{{/* The dashboard's bind address (serve --ui-addr): IPv6 addresses in brackets. */}}
{{- define "ksit.uiAddr" -}}
{{- if contains ":" .Values.ui.address -}}[{{ .Values.ui.address }}]{{- else -}}{{ .Values.ui.address }}{{- end -}}:{{ .Values.ui.port }}
{{- end -}}

{{- define "ksit.uiLoopback" -}}
{{- if has .Values.ui.address (list "127.0.0.1" "localhost" "::1") -}}true{{- end -}}
{{- end -}}

{{/* The scrape job of the controller's metrics (the ServiceMonitor's: the metrics Service's name). */}}
{{- define "ksit.metricsJob" -}}
{{- default (printf "%s-metrics" (include "ksit.fullname" .)) .Values.prometheusRule.job -}}
{{- end -}}
