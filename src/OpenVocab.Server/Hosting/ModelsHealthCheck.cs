using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace OpenVocab.Server.Hosting;

/// <summary>Ready once the models are loaded and warmed up; unhealthy with the reason when loading failed.</summary>
internal sealed class ModelsHealthCheck(ModelHost models) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(models.Ready ? HealthCheckResult.Healthy("Models loaded and warmed up.")
            : models.LoadError is { } e ? HealthCheckResult.Unhealthy($"Loading the models failed: {e.Message}")
            : HealthCheckResult.Unhealthy("Models are loading."));
}
