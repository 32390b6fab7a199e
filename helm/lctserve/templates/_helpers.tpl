{{/* Chart name, overridable. */}}
{{- define "lctserve.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Release-qualified name used for every resource. */}}
{{- define "lctserve.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "lctserve.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "lctserve.selectorLabels" -}}
app.kubernetes.io/name: {{ include "lctserve.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "lctserve.labels" -}}
helm.sh/chart: {{ include "lctserve.chart" . }}
{{ include "lctserve.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "lctserve.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "lctserve.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* Grace period: preStop pause + readiness drain + in-flight wait + a margin for the JVM to exit. */}}
{{- define "lctserve.terminationGracePeriod" -}}
{{- add .Values.preStopSleepSeconds .Values.server.drainSeconds .Values.server.shutdownTimeoutSeconds 10 }}
{{- end }}

{{/* The KServe serving runtime's name. */}}
{{- define "lctserve.kserveRuntimeName" -}}
{{- default "lctserve" .Values.kserve.runtime.name }}
{{- end }}

{{/* Prometheus label selector for the chart's own pods (as the ServiceMonitor labels them). */}}
{{- define "lctserve.deploymentSelector" -}}
{{- default (printf "namespace=\"%s\",service=\"%s\"" .Release.Namespace (include "lctserve.fullname" .)) .Values.keda.prometheus.selector }}
{{- end }}

{{/* Prometheus label selector for the example InferenceService's predictor pods. */}}
{{- define "lctserve.kserveSelector" -}}
{{- default (printf "namespace=\"%s\",pod=~\"%s-predictor-.*\"" .Release.Namespace .Values.kserve.inferenceService.name) .Values.keda.prometheus.selector }}
{{- end }}

{{/* Requests in flight, summed over the pods (KEDA divides by the replicas for AverageValue). */}}
{{- define "lctserve.inFlightQuery" -}}
sum(lctserve_inflight{ {{- .selector -}} })
{{- end }}

{{/* Average wait before computing over the last minute, across the pods. */}}
{{- define "lctserve.queueWaitQuery" -}}
sum(rate(lctserve_queue_seconds_sum{ {{- .selector -}} }[1m])) / clamp_min(sum(rate(lctserve_queue_seconds_count{ {{- .selector -}} }[1m])), 1)
{{- end }}

