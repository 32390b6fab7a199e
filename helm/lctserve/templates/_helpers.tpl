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
