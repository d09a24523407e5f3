package {{PACKAGE}}.events

import io.mockk.every
import io.mockk.mockk
import io.mockk.verify
import org.junit.jupiter.api.Test
import org.springframework.kafka.core.KafkaTemplate
import org.springframework.kafka.support.SendResult
import org.springframework.web.socket.CloseStatus
import org.springframework.web.socket.TextMessage
import org.springframework.web.socket.WebSocketSession
import java.io.IOException
import java.util.concurrent.CompletableFuture

class EventBridgeTest {
    private val kafka = mockk<KafkaTemplate<String, String>>()
    private val bridge = EventBridge(kafka, "events")

    private fun session(sessionId: String) = mockk<WebSocketSession>(relaxed = true) {
        every { id } returns sessionId
    }

    @Test
    fun `a message from a client is published to the topic`() {
        every { kafka.send("events", "hi") } returns CompletableFuture.completedFuture(mockk<SendResult<String, String>>())
        bridge.handleTextMessage(session("a"), TextMessage("hi"))
        verify { kafka.send("events", "hi") }
    }

    @Test
    fun `a failed publish is only logged`() {
        every { kafka.send("events", "hi") } returns CompletableFuture.failedFuture(IOException("broker away"))
        bridge.handleTextMessage(session("a"), TextMessage("hi"))
        verify { kafka.send("events", "hi") }
    }

    @Test
    fun `a record goes to every connected client, and no more to one that left`() {
        val staying = session("a")
        val leaving = session("b")
        bridge.afterConnectionEstablished(staying)
        bridge.afterConnectionEstablished(leaving)
        bridge.afterConnectionClosed(leaving, CloseStatus.NORMAL)

        bridge.onRecord("news")

        verify { staying.sendMessage(TextMessage("news")) }
        verify(exactly = 0) { leaving.sendMessage(any()) }
    }

    @Test
    fun `a client that fails does not keep the record from the others`() {
        val broken = session("a")
        val fine = session("b")
        every { broken.sendMessage(any()) } throws IOException("broken pipe")
        bridge.afterConnectionEstablished(broken)
        bridge.afterConnectionEstablished(fine)

        bridge.onRecord("news")

        verify { fine.sendMessage(TextMessage("news")) }
    }
}
