package {{PACKAGE}}.health

import com.fasterxml.jackson.annotation.JsonIgnore
import org.slf4j.LoggerFactory
import org.springframework.stereotype.Service
import java.util.concurrent.ConcurrentHashMap

/** What /ready answers: "ready" when every chosen dependency is "up". */
data class Readiness(val status: String, val checks: Map<String, String>) {
    @get:JsonIgnore
    val isReady: Boolean get() = status == READY

    companion object {
        const val READY = "ready"
        const val NOT_READY = "not ready"
        const val UP = "up"
        const val DOWN = "down"
    }
}

/**
 * Runs every [DependencyCheck] for /ready. A dependency is logged when it goes
 * down and when it comes back, not on every probe: orchestrators ask /ready
 * every few seconds.
 */
@Service
class ReadinessService(checks: List<DependencyCheck>) {
    private val checks = checks.sortedBy { it.name }
    private val lastUp = ConcurrentHashMap<String, Boolean>()

    fun check(): Readiness {
        val results = checks.associate { it.name to if (isUp(it)) Readiness.UP else Readiness.DOWN }
        val status = if (Readiness.DOWN in results.values) Readiness.NOT_READY else Readiness.READY
        return Readiness(status, results)
    }

    private fun isUp(check: DependencyCheck): Boolean {
        val failure = try {
            check.ping()
            null
        } catch (e: Exception) {
            e
        }
        val up = failure == null
        if (lastUp.put(check.name, up) != up) {
            if (up) log.info("{} is up", check.name) else log.warn("{} is down: {}", check.name, failure.toString())
        }
        return up
    }

    private companion object {
        val log = LoggerFactory.getLogger(ReadinessService::class.java)
    }
}
