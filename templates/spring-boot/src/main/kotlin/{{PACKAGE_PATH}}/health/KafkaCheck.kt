package {{PACKAGE}}.health

import org.apache.kafka.clients.admin.AdminClient
import org.apache.kafka.clients.admin.AdminClientConfig
import org.springframework.kafka.core.KafkaAdmin
import org.springframework.stereotype.Component
import java.util.concurrent.TimeUnit

/**
 * Kafka answers when the cluster describes itself to an AdminClient. The client
 * lives for one probe only: creating it fails outright while the broker's name
 * does not resolve, and an idle one would keep its network thread for nothing.
 */
@Component
class KafkaCheck(private val kafkaAdmin: KafkaAdmin) : DependencyCheck {
    override val name = "kafka"

    override fun ping() {
        val config = kafkaAdmin.configurationProperties + mapOf(
            AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG to TIMEOUT_MS,
            AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG to TIMEOUT_MS,
        )
        AdminClient.create(config).use { admin ->
            admin.describeCluster().clusterId().get(TIMEOUT_MS.toLong(), TimeUnit.MILLISECONDS)
        }
    }

    private companion object {
        const val TIMEOUT_MS = 2_000
    }
}
